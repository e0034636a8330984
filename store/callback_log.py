"""The callback log: each callback to a reseller, registered before its first attempt, and every delivery
attempt with the answer it got, for ``GET /v1/events`` and redelivery.

A callback is ``delivered`` once an attempt got a 2xx, ``given_up`` when its URL was refused for good or
nothing delivered it within :data:`~domain.onboarding.CALLBACK_DEADLINE` of the change, else ``pending``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, not_, select

from domain.onboarding import CALLBACK_DEADLINE, OnboardingState, StatusCallback
from store.models import CallbackAttempt, CallbackEvent, as_utc
from store.pages import newest_first

DeliveryState = Literal["pending", "delivered", "given_up"]


class AttemptView(BaseModel):
    """One delivery attempt: when, the HTTP status the endpoint answered (None: no answer, see ``error``),
    how long it took, and whether a redelivery asked for it."""

    at: datetime
    answered: int | None
    error: str | None
    duration_ms: int
    redelivery: bool


class EventView(BaseModel):
    """A callback as its reseller sees it in the log."""

    id: str
    type: str
    onboarding_id: str
    onboarding_status: str
    created_at: datetime
    state: DeliveryState
    delivered_at: datetime | None
    destination: str
    attempts: list[AttemptView]


def register(engine: Engine, callback: StatusCallback) -> None:
    """Log the callback before its first attempt (idempotent)."""
    with Session(engine) as session:
        if session.get(CallbackEvent, callback.event_id) is not None:
            return
        session.add(
            CallbackEvent(
                id=callback.event_id,
                onboarding_id=callback.document.id,
                reseller=callback.reseller,
                type=callback.type,
                url=callback.url,
                document=callback.document.model_dump_json(),
                created_at=callback.at,
            )
        )
        try:
            session.commit()
        except IntegrityError:
            session.rollback()  # a concurrent attempt registered it


def record_attempt(engine: Engine, event_id: str, attempt: AttemptView, *, refused: bool = False) -> None:
    """Log one attempt; a 2xx marks the callback delivered, ``refused`` given up for good."""
    with Session(engine) as session:
        session.add(CallbackAttempt(event_id=event_id, **attempt.model_dump()))
        event = session.get(CallbackEvent, event_id, with_for_update=True)
        if event is not None:
            delivered = attempt.answered is not None and 200 <= attempt.answered < 300
            if delivered and event.delivered_at is None:
                event.delivered_at = attempt.at
            event.refused = event.refused or refused
            session.add(event)
        session.commit()


def load(engine: Engine, event_id: str, reseller: str | None = None) -> StatusCallback | None:
    """The callback to deliver again, if ``reseller`` (when given) owns it."""
    with Session(engine) as session:
        event = session.get(CallbackEvent, event_id)
    if event is None or (reseller is not None and event.reseller != reseller):
        return None
    document = OnboardingState.model_validate_json(event.document)
    return StatusCallback(
        event_id=event.id, type=event.type, url=event.url, reseller=event.reseller, document=document
    )


def view(engine: Engine, event_id: str, reseller: str, now: datetime) -> EventView | None:
    """One of ``reseller``'s callbacks with its attempts."""
    with Session(engine) as session:
        event = session.get(CallbackEvent, event_id)
        if event is None or event.reseller != reseller:
            return None
        return _views(session, [event], now)[0]


def list_events(
    engine: Engine,
    *,
    reseller: str,
    now: datetime,
    onboarding_id: str | None = None,
    type: str | None = None,
    state: DeliveryState | None = None,
    since: datetime | None = None,
    limit: int = 20,
    cursor: str | None = None,
) -> tuple[list[EventView], str | None]:
    """``reseller``'s callbacks, newest first, filtered; raises :class:`~store.pages.InvalidCursor`."""
    statement = select(CallbackEvent).where(CallbackEvent.reseller == reseller)
    if onboarding_id is not None:
        statement = statement.where(CallbackEvent.onboarding_id == onboarding_id)
    if type is not None:
        statement = statement.where(CallbackEvent.type == type)
    if since is not None:
        statement = statement.where(col(CallbackEvent.created_at) >= since)
    if state is not None:
        delivered = col(CallbackEvent.delivered_at).is_not(None)
        given_up = not_(delivered) & (
            col(CallbackEvent.refused) | (col(CallbackEvent.created_at) < now - CALLBACK_DEADLINE)
        )
        wanted = {"delivered": delivered, "given_up": given_up, "pending": not_(delivered) & not_(given_up)}
        statement = statement.where(wanted[state])
    with Session(engine) as session:
        page, next_cursor = newest_first(session, statement, CallbackEvent, limit=limit, cursor=cursor)
        return _views(session, page, now), next_cursor


def _views(session: Session, events: Sequence[CallbackEvent], now: datetime) -> list[EventView]:
    ids = [event.id for event in events]
    rows = session.exec(
        select(CallbackAttempt)
        .where(col(CallbackAttempt.event_id).in_(ids))
        .order_by(col(CallbackAttempt.id))
    )
    attempts: dict[str, list[AttemptView]] = {event_id: [] for event_id in ids}
    for row in rows:
        attempt = AttemptView.model_validate(row, from_attributes=True)
        attempts[row.event_id].append(attempt.model_copy(update={"at": as_utc(attempt.at)}))
    return [_view(event, attempts[event.id], now) for event in events]


def _view(event: CallbackEvent, attempts: list[AttemptView], now: datetime) -> EventView:
    created = as_utc(event.created_at)
    state: DeliveryState = "pending"
    if event.delivered_at is not None:
        state = "delivered"
    elif event.refused or created < now - CALLBACK_DEADLINE:
        state = "given_up"
    document = OnboardingState.model_validate_json(event.document)
    return EventView(
        id=event.id,
        type=event.type,
        onboarding_id=event.onboarding_id,
        onboarding_status=document.status,
        created_at=created,
        state=state,
        delivered_at=None if event.delivered_at is None else as_utc(event.delivered_at),
        destination=_host(event.url),
        attempts=attempts,
    )


def _host(url: str) -> str:
    """Only the host: the path or query of a callback URL may carry the reseller's token."""
    return url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
