"""The webhook inbox: record each provider event once, remember whether its signal went out."""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from store.models import WebhookEvent, utcnow


def record(engine: Engine, event: WebhookEvent) -> WebhookEvent:
    """Store ``event`` unless its id is known; returns the stored row (the first one on a redelivery)."""
    with Session(engine) as session:
        session.add(event)
        try:
            session.commit()
            session.refresh(event)
            return event
        except IntegrityError:
            session.rollback()
        existing = session.get(WebhookEvent, event.id)
        if existing is None:
            raise LookupError(event.id)
        return existing


def mark_signalled(engine: Engine, event_id: str) -> None:
    """Note that the workflow has been signalled for ``event_id``."""
    with Session(engine) as session:
        row = session.get(WebhookEvent, event_id, with_for_update=True)
        if row is not None and row.signalled_at is None:
            row.signalled_at = utcnow()
            session.add(row)
            session.commit()
