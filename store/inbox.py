"""The webhook inbox: record each provider event once; the KYC relay claims, retries and settles its rows."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import or_, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import WebhookEvent, utcnow


def record(engine: Engine, event: WebhookEvent) -> bool:
    """Store ``event`` unless its id is known (a redelivery); whether it was stored."""
    with Session(engine) as session:
        session.add(event)
        try:
            session.commit()
        except IntegrityError:
            return False
        session.refresh(event)
        return True


def claim_due(engine: Engine, now: datetime, hold_until: datetime, limit: int) -> list[WebhookEvent]:
    """Up to ``limit`` unsettled rows due by ``now`` (oldest first), each claimed until ``hold_until`` and
    counted as one more try; a row another process claimed first is left to it."""
    due = or_(col(WebhookEvent.due_at).is_(None), col(WebhookEvent.due_at) <= now)
    with Session(engine) as session:
        candidates = session.exec(
            select(WebhookEvent.id)
            .where(col(WebhookEvent.signalled_at).is_(None), due)
            .order_by(col(WebhookEvent.due_at).asc().nulls_first(), col(WebhookEvent.received_at))
            .limit(limit)
        ).all()
        claimed = []
        for event_id in candidates:
            taken = session.connection().execute(
                update(WebhookEvent)
                .where(col(WebhookEvent.id) == event_id, col(WebhookEvent.signalled_at).is_(None), due)
                .values(due_at=hold_until, attempts=col(WebhookEvent.attempts) + 1)
            )
            if taken.rowcount == 1:
                claimed.append(event_id)
        session.commit()
        return [row for event_id in claimed if (row := session.get(WebhookEvent, event_id)) is not None]


def due_again(engine: Engine, event_ids: Collection[str], due_at: datetime) -> None:
    """Leave those of ``event_ids`` still unsettled to be tried again at ``due_at`` (by any process)."""
    if not event_ids:
        return
    with Session(engine) as session:
        session.connection().execute(
            update(WebhookEvent)
            .where(col(WebhookEvent.id).in_(event_ids), col(WebhookEvent.signalled_at).is_(None))
            .values(due_at=due_at)
        )
        session.commit()


def mark_signalled(engine: Engine, event_id: str) -> None:
    """Settle ``event_id``: its workflow was signalled, or nothing is to be signalled for it."""
    with Session(engine) as session:
        row = session.get(WebhookEvent, event_id, with_for_update=True)
        if row is not None and row.signalled_at is None:
            row.signalled_at = utcnow()
            session.add(row)
            session.commit()
