"""The lifecycle audit log: one entry per suspend, resume and offboard a customer was asked for."""

from __future__ import annotations

import json
from datetime import datetime

from pydantic import BaseModel, JsonValue
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain.lifecycle import AuditEntry
from store.models import LifecycleAuditRecord, as_utc


class AuditView(BaseModel):
    """An entry as the reseller reads it."""

    seq: int
    operation: str
    actor: str
    at: datetime
    reason: str | None
    request: dict[str, JsonValue]


def record(engine: Engine, entry: AuditEntry) -> None:
    """Keep ``entry``; the same entry again (a retried activity) changes nothing."""
    entry_id = f"{entry.onboarding_id}:{entry.seq}"
    with Session(engine) as session:
        if session.get(LifecycleAuditRecord, entry_id) is not None:
            return
        session.add(
            LifecycleAuditRecord(
                id=entry_id,
                onboarding_id=entry.onboarding_id,
                reseller=entry.reseller,
                seq=entry.seq,
                operation=entry.operation,
                actor=entry.actor,
                at=entry.at,
                reason=entry.reason,
                request=json.dumps(entry.request),
            )
        )
        session.commit()


def entries(engine: Engine, onboarding_id: str) -> list[AuditView]:
    """The onboarding's entries, oldest first."""
    with Session(engine) as session:
        rows = session.exec(
            select(LifecycleAuditRecord)
            .where(col(LifecycleAuditRecord.onboarding_id) == onboarding_id)
            .order_by(col(LifecycleAuditRecord.seq))
        ).all()
    return [
        AuditView(
            seq=row.seq,
            operation=row.operation,
            actor=row.actor,
            at=as_utc(row.at),
            reason=row.reason,
            request=json.loads(row.request),
        )
        for row in rows
    ]
