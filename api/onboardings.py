"""Reseller routes: start, read, list, cancel an onboarding and restart its KYC.

The database record decides ownership (a reseller only ever sees its own: 404 otherwise) and holds the
status document the workflow mirrors at every change: every read is served from it, so reading never
wakes a workflow nor needs a worker. The workflow's ``status`` query stays for operators (Temporal UI,
``temporal workflow query``).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Header, Query, Response
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from api.auth import reseller
from api.errors import ERROR_RESPONSES, ApiError, FieldError, error_responses
from api.pages import LIST_RESPONSES, Cursor, issued_cursors_only
from api.quotas import quota_refusal
from api.runtime import Runtime, runtime
from api.schemas import OnboardingPage, OnboardingStart
from api.temporal import bounded, is_gone, updating
from config import Settings
from domain.onboarding import (
    ACTOR_BY_STATUS,
    Actor,
    KycRestartRequest,
    OnboardingDocument,
    OnboardingRequest,
    OnboardingState,
    OnboardingStatus,
)
from starts.onboardings import callback_refusal
from store import onboardings
from store.quotas import QuotaExceeded
from telemetry.temporal_ui import UiLinks

router = APIRouter(prefix="/v1/onboardings", tags=["onboardings"], responses=error_responses(401, 422))

Reseller = Annotated[str, Depends(reseller)]
Rt = Annotated[Runtime, Depends(runtime)]


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "no such onboarding")


def _finished(state: OnboardingState) -> ApiError:
    return ApiError(409, "conflict", f"the onboarding has already finished ({state.status})")


async def owned_onboarding(rt: Runtime, onboarding_id: str, owner: str) -> OnboardingState:
    """The stored onboarding, when ``owner`` may see it (404 otherwise, as for one that does not exist)."""
    state = await rt.read_row(onboardings.get_state, rt.engine, onboarding_id, owner)
    if state is None:
        raise _not_found()
    return state


def served_document(rt: Runtime, state: OnboardingState) -> OnboardingDocument:
    """``state`` as answered: with its Temporal UI link."""
    return UiLinks.from_settings(rt.settings).document(state)


def _check_callback_url(request: OnboardingRequest, settings: Settings) -> None:
    """In production, callbacks go over https to public hosts only (422 naming ``callback_url``)."""
    refusal = callback_refusal(request, settings)
    if refusal is not None:
        raise ApiError(
            422,
            "invalid_request",
            "the request is invalid",
            fields=[FieldError(field="callback_url", message=refusal)],
        )


@router.post(
    "",
    status_code=202,
    response_model=OnboardingDocument,
    summary="Start an onboarding",
    responses={
        200: {"model": OnboardingDocument, "description": "already started with this exact request"},
        409: {
            **ERROR_RESPONSES[409],
            "description": "the reference is taken by another request (`conflict`), or the agent_slots"
            " quota is full (`quota_exceeded`)",
        },
        **error_responses(413, 429, 503),
    },
)
async def start_onboarding(
    request: OnboardingStart, response: Response, owner: Reseller, rt: Rt
) -> OnboardingDocument:
    """Start onboarding a customer; the same reference and body again answers 200 with the same onboarding.

    The record is claimed in the database first, then the workflow is started idempotently, so a retry
    after a failure (503) or a crash between the two completes the start. A new reference must fit the
    reseller's quotas (429 with ``Retry-After``, or 409 for agent slots); a repeated one never counts.
    """
    _check_callback_url(request, rt.settings)
    try:
        async with rt.start_locks[owner]:
            state, created = await rt.starts.claim(owner, request)
    except QuotaExceeded as exceeded:
        raise quota_refusal(owner, exceeded) from None
    except onboardings.ReferenceConflict:
        raise ApiError(
            409,
            "conflict",
            "this reference is already onboarding with a different request",
            fields=[FieldError(field="reference", message="already used with a different request")],
        ) from None
    if not state.is_terminal:
        client = await rt.temporal.client()
        async with bounded():
            await rt.starts.start_workflow(client, state, request)
    if not created:
        response.status_code = 200
    return served_document(rt, state)


@router.get(
    "",
    response_model=OnboardingPage,
    summary="List onboardings",
    responses=LIST_RESPONSES,
)
async def list_onboardings(
    owner: Reseller,
    rt: Rt,
    status: Annotated[OnboardingStatus | None, Query(description="only this status")] = None,
    actor: Annotated[
        Actor | None, Query(description="only onboardings whose `next_action` waits on this actor")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Cursor = None,
) -> OnboardingPage:
    """The reseller's onboardings from the database, newest first."""
    statuses: set[str] | None = None if status is None else {status}
    if actor is not None:
        waiting = {name for name, whose in ACTOR_BY_STATUS.items() if whose == actor}
        statuses = waiting if statuses is None else statuses & waiting
    with issued_cursors_only():
        items, next_cursor = await run_in_threadpool(
            lambda: onboardings.list_states(
                rt.engine, reseller=owner, statuses=statuses, limit=limit, cursor=cursor
            )
        )
    links = UiLinks.from_settings(rt.settings)
    return OnboardingPage(items=[links.document(item) for item in items], next_cursor=next_cursor)


@router.get(
    "/{onboarding_id}",
    response_model=OnboardingDocument,
    summary="Read an onboarding",
    responses=error_responses(404),
)
async def get_onboarding(onboarding_id: str, owner: Reseller, rt: Rt) -> OnboardingDocument:
    """The status document as the onboarding last recorded it (at its last change)."""
    return served_document(rt, await owned_onboarding(rt, onboarding_id, owner))


@router.post(
    "/{onboarding_id}/cancel",
    status_code=202,
    response_model=OnboardingDocument,
    summary="Cancel an onboarding",
    responses=error_responses(404, 409, 503),
)
async def cancel_onboarding(onboarding_id: str, owner: Reseller, rt: Rt) -> OnboardingDocument:
    """Ask the onboarding to stop; it compensates (deletes what it created) and ends ``cancelled``. The
    answer is the document as stored when asked: ``cancelling`` shows once the workflow takes the request."""
    state = await owned_onboarding(rt, onboarding_id, owner)
    if state.is_terminal:
        raise _finished(state)
    client = await rt.temporal.client()
    try:
        async with bounded():
            await client.get_workflow_handle(onboarding_id).cancel()
    except RPCError as exc:
        if is_gone(exc):
            raise _finished(state) from None
        raise
    return served_document(rt, state)


@router.post(
    "/{onboarding_id}/kyc/restart",
    status_code=202,
    response_model=OnboardingDocument,
    summary="Start a new hosted KYC session after a rejection",
    responses=error_responses(404, 409, 413, 503),
)
async def restart_kyc(
    onboarding_id: str,
    owner: Reseller,
    rt: Rt,
    body: Annotated[KycRestartRequest | None, Body()] = None,
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            min_length=1,
            max_length=200,
            description="Repeat the request with the same key after a lost answer to get the same session",
        ),
    ] = None,
) -> OnboardingDocument:
    """Only while ``kyc_rejected`` and fewer than the allowed sessions were used; else 409 with the reason.

    A repeated request while the new session is starting joins it; with the same ``Idempotency-Key`` a
    repeat gets the same session even after it started.
    """
    state = await owned_onboarding(rt, onboarding_id, owner)
    if state.is_terminal:
        raise _finished(state)
    client = await rt.temporal.client()
    async with updating(lambda: _finished(state), "the restart was refused"):
        restarted: OnboardingState = await client.get_workflow_handle(onboarding_id).execute_update(
            "restart_kyc",
            body or KycRestartRequest(),
            # Temporal answers a repeated update id with the first update's outcome
            id=f"kyc-restart:{idempotency_key}" if idempotency_key else None,
            result_type=OnboardingState,
        )
    return served_document(rt, restarted)
