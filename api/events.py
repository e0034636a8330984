"""Reseller routes for the callback log: list the callbacks sent (with every delivery attempt and its
answer) and ask for one to be delivered again. A reseller only ever sees its own: 404 otherwise."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, BeforeValidator
from starlette.concurrency import run_in_threadpool

from api.auth import reseller
from api.errors import ERROR_RESPONSES, ApiError, FieldError, error_responses
from api.pages import LIST_RESPONSES, Cursor, issued_cursors_only
from api.runtime import Runtime, runtime
from api.temporal import bounded
from store import callback_log
from store.callback_log import DeliveryState, EventView
from store.models import utcnow
from workflows.redelivery import REDELIVERY_WORKFLOW

router = APIRouter(prefix="/v1/events", tags=["events"], responses=error_responses(401, 422))

Reseller = Annotated[str, Depends(reseller)]
Rt = Annotated[Runtime, Depends(runtime)]
EventId = Annotated[str, Path(description="the callback's `webhook-id`", max_length=250)]


def _iso_8601(value: object) -> object:
    """A date-time as ISO 8601 writes it (pydantic would also take a number of seconds)."""
    if isinstance(value, str) and not re.match(r"\d{4}-\d{2}-\d{2}", value):
        raise ValueError("must be an ISO 8601 date-time, e.g. 2026-11-30T12:00:00Z")
    return value


Since = Annotated[AwareDatetime, BeforeValidator(_iso_8601)]
_FILTERS = {"onboarding_id", "type", "state", "since", "limit", "cursor"}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {**ERROR_RESPONSES[404], "description": "no such callback for this reseller"}
}


class EventPage(BaseModel):
    """One page of callbacks, newest first; pass ``next_cursor`` back as ``cursor`` for the next."""

    items: list[EventView]
    next_cursor: str | None


class Redelivery(BaseModel):
    """A redelivery under way: its workflow (in the Temporal UI) and the callback as logged so far."""

    workflow_id: str
    event: EventView


def _known_filters_only(request: Request) -> None:
    unknown = sorted(set(request.query_params) - _FILTERS)
    if unknown:
        fields = [FieldError(field=name, message="unknown filter") for name in unknown]
        raise ApiError(422, "invalid_request", "the request is invalid", fields=fields)


@router.get(
    "",
    response_model=EventPage,
    summary="List callbacks",
    responses=LIST_RESPONSES,
    dependencies=[Depends(_known_filters_only)],
)
async def list_events(
    owner: Reseller,
    rt: Rt,
    onboarding_id: Annotated[str | None, Query(description="only this onboarding's", max_length=200)] = None,
    type: Annotated[str | None, Query(description="only this event type", max_length=64)] = None,
    state: Annotated[DeliveryState | None, Query(description="only callbacks in this delivery state")] = None,
    since: Annotated[
        Since | None, Query(description="only changes at or after this time (ISO 8601, with its offset)")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
) -> EventPage:
    """The reseller's callbacks, newest first, each with its delivery attempts and their answers."""
    with issued_cursors_only():
        items, next_cursor = await run_in_threadpool(
            lambda: callback_log.list_events(
                rt.engine,
                reseller=owner,
                now=utcnow(),
                onboarding_id=onboarding_id,
                type=type,
                state=state,
                since=since,
                limit=limit,
                cursor=cursor,
            )
        )
    return EventPage(items=items, next_cursor=next_cursor)


@router.get("/{event_id}", response_model=EventView, summary="Read a callback", responses=_NOT_FOUND)
async def get_event(event_id: EventId, owner: Reseller, rt: Rt) -> EventView:
    """One callback with its delivery attempts."""
    return await _owned(rt, event_id, owner)


@router.post(
    "/{event_id}/redeliver",
    status_code=202,
    response_model=Redelivery,
    summary="Deliver a callback again",
    responses={**_NOT_FOUND, 503: ERROR_RESPONSES[503]},
)
async def redeliver(event_id: EventId, owner: Reseller, rt: Rt) -> Redelivery:
    """POST the callback to its URL again, signed now, under the same `webhook-id` (retried for an hour);
    the attempts show in this callback's log."""
    event = await _owned(rt, event_id, owner)
    workflow_id = f"redeliver-{event.id}-{uuid.uuid4().hex[:8]}"
    client = await rt.temporal.client()
    async with bounded():
        await client.start_workflow(
            REDELIVERY_WORKFLOW,
            event.id,
            id=workflow_id,
            task_queue=rt.settings.task_queue,
            static_summary=f"Redeliver callback {event.id}",
        )
    return Redelivery(workflow_id=workflow_id, event=event)


async def _owned(rt: Runtime, event_id: str, owner: str) -> EventView:
    found = await run_in_threadpool(callback_log.view, rt.engine, event_id, owner, utcnow())
    if found is None:
        raise ApiError(404, "not_found", "no such callback")
    return found
