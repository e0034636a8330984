"""Bulk onboarding records: a batch and its rows, created in one transaction (the same batch sent again
finds the first), each row decided once, the state mirrored from the batch's workflow (newest revision
wins), and the batch's figures counted from its rows and their onboardings."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import get_args

from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from domain.batch import NOT_STARTED, ONBOARDED, MirrorBatch, RowOutcome
from domain.onboarding import ACTOR_BY_STATUS, TERMINAL_STATUSES, OnboardingState, workflow_id_for
from store import quotas
from store.models import BatchRecord, BatchRow, OnboardingRecord, as_utc

#: the most failed rows a batch's figures list (the first ones by row number); all are counted
FAILED_ROWS_SHOWN = 100
#: the statuses of an onboarding we are working on: nobody else is to act, and it is not over
WORKING = [
    status
    for status, actor in ACTOR_BY_STATUS.items()
    if actor == "nobody" and status not in TERMINAL_STATUSES
]


class BatchConflict(Exception):
    """The batch reference is taken by a batch with other rows."""


class FailedRow(BaseModel):
    """A row that did not become a running onboarding, or whose onboarding failed, and why."""

    row: int
    reference: str
    outcome: RowOutcome
    reason: str
    onboarding_id: str | None


class BatchFigures(BaseModel):
    """Where a batch's rows stand: rows per outcome, their onboardings per status, failed rows, and the
    agent-platform slots the rows not yet started would take against those free (None: unknown, the
    reseller has no ``agent_slots`` quota and the platform's own limit cannot be read)."""

    outcomes: dict[RowOutcome, int]
    statuses: dict[str, int]
    rows_failed: int
    failed_rows: list[FailedRow]
    slots_needed: int
    slots_free: int | None


def create(engine: Engine, batch: BatchRecord, rows: Sequence[BatchRow]) -> tuple[BatchRecord, bool]:
    """Insert the batch with its rows, or find the same batch sent before: ``(batch, created)``. Raises
    :class:`BatchConflict` when its id is taken by a batch with other rows. One transaction."""
    with Session(engine, expire_on_commit=False) as session:
        session.add(batch)
        session.add_all(rows)
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
        else:
            return batch, True
    existing = get(engine, batch.id)
    if existing is None or existing.content_hash != batch.content_hash:
        raise BatchConflict(batch.id)
    return existing, False


def get(engine: Engine, batch_id: str, reseller: str | None = None) -> BatchRecord | None:
    """The batch, optionally only if it belongs to ``reseller``."""
    with Session(engine) as session:
        batch = session.get(BatchRecord, batch_id)
    return None if batch is None or (reseller is not None and batch.reseller != reseller) else batch


def pending(engine: Engine, batch_id: str, limit: int) -> list[BatchRow]:
    """The batch's next ``limit`` rows not yet decided, in row order."""
    with Session(engine) as session:
        statement = (
            select(BatchRow)
            .where(BatchRow.batch_id == batch_id, BatchRow.outcome == "pending")
            .order_by(col(BatchRow.number))
            .limit(limit)
        )
        return list(session.exec(statement))


def decided_count(engine: Engine, batch_id: str) -> int:
    """How many of the batch's rows are decided, by whichever attempt of whichever chunk."""
    with Session(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(BatchRow)
            .where(BatchRow.batch_id == batch_id, BatchRow.outcome != "pending")
        ).one()


def attempt(engine: Engine, batch_id: str, number: int, at: datetime) -> datetime:
    """Note that the row is being started; returns its first attempt's time (an interrupted earlier
    attempt's, when there was one)."""
    with Session(engine, expire_on_commit=False) as session:
        row = session.get(BatchRow, (batch_id, number), with_for_update=True)
        if row is None:
            raise LookupError(f"no row {number} in batch {batch_id}")
        if row.attempted_at is None:
            row.attempted_at = at
            session.add(row)
            session.commit()
        return as_utc(row.attempted_at)


def decide(
    engine: Engine, batch_id: str, number: int, outcome: RowOutcome, at: datetime, reason: str | None = None
) -> None:
    """Record what became of a pending row and forget its request; a decided row is left alone."""
    with engine.begin() as connection:
        connection.execute(
            update(BatchRow)
            .where(col(BatchRow.batch_id) == batch_id, col(BatchRow.number) == number)
            .where(col(BatchRow.outcome) == "pending")
            .values(outcome=outcome, reason=reason, decided_at=at, request=None)
        )


def wait(engine: Engine, batch_id: str, quota: str | None, until: datetime | None) -> None:
    """Note the quota the batch's next row waits for, until when (None, None: nothing waits)."""
    with engine.begin() as connection:
        connection.execute(
            update(BatchRecord)
            .where(col(BatchRecord.id) == batch_id)
            .values(waiting_for=quota, waiting_until=until)
        )


def mirror(engine: Engine, change: MirrorBatch) -> None:
    """Save the state the batch's workflow decided, unless a newer one is saved; a cancelled batch's
    pending rows are skipped (nothing will start them)."""
    with Session(engine) as session:
        batch = session.get(BatchRecord, change.batch_id, with_for_update=True)
        if batch is None or batch.revision >= change.revision:
            return
        batch.state, batch.revision, batch.updated_at = change.state, change.revision, change.at
        if change.state in ("cancelled", "completed"):
            batch.waiting_for, batch.waiting_until = None, None
        session.add(batch)
        if change.state == "cancelled":
            session.execute(
                update(BatchRow)
                .where(col(BatchRow.batch_id) == change.batch_id, col(BatchRow.outcome) == "pending")
                .values(outcome="skipped", decided_at=change.at, request=None)
            )
        session.commit()


def _onboarding_of_row(reseller: str) -> ColumnElement[bool]:
    """Joins a row to its reference's onboarding."""
    return and_(
        col(OnboardingRecord.reseller) == reseller, col(OnboardingRecord.reference) == col(BatchRow.reference)
    )


def working(engine: Engine, batch_id: str, reseller: str) -> int:
    """How many of the onboardings the batch started are still being worked on (:data:`WORKING`)."""
    with Session(engine) as session:
        return session.exec(
            select(func.count())
            .select_from(BatchRow)
            .join(OnboardingRecord, _onboarding_of_row(reseller))
            .where(BatchRow.batch_id == batch_id, BatchRow.outcome == "started")
            .where(col(OnboardingRecord.status).in_(WORKING))
        ).one()


def figures(engine: Engine, batch: BatchRecord, agent_slots: int) -> BatchFigures:
    """The batch's figures, counted now from its rows and their onboardings; ``agent_slots`` is the
    reseller's quota (0: none)."""
    onboarding = _onboarding_of_row(batch.reseller)
    mine = col(BatchRow.batch_id) == batch.id
    with Session(engine) as session:
        by_outcome = session.exec(
            select(col(BatchRow.outcome), func.count()).where(mine).group_by(col(BatchRow.outcome))
        ).all()
        by_status = session.exec(
            select(col(OnboardingRecord.status), func.count())
            .select_from(BatchRow)
            .join(OnboardingRecord, onboarding)
            .where(mine, col(BatchRow.outcome).in_(ONBOARDED))
            .group_by(col(OnboardingRecord.status))
        ).all()
        slots_needed = session.exec(
            select(func.count())
            .select_from(BatchRow)
            .outerjoin(OnboardingRecord, onboarding)
            .where(mine, col(BatchRow.outcome) == "pending", col(OnboardingRecord.id).is_(None))
        ).one()
        not_started = session.exec(
            select(BatchRow)
            .where(mine, col(BatchRow.outcome).in_(NOT_STARTED))
            .order_by(col(BatchRow.number))
            .limit(FAILED_ROWS_SHOWN)
        ).all()
        failed = session.exec(
            select(BatchRow, OnboardingRecord)
            .join(OnboardingRecord, onboarding)
            .where(mine, col(BatchRow.outcome).in_(ONBOARDED), OnboardingRecord.status == "failed")
            .order_by(col(BatchRow.number))
            .limit(FAILED_ROWS_SHOWN)
        ).all()
        held = quotas.agent_slots_held(session, batch.reseller)
    outcomes = dict.fromkeys(get_args(RowOutcome), 0) | dict(by_outcome)
    statuses = dict(sorted(by_status))
    shown = [_not_started(batch.reseller, row) for row in not_started]
    shown += [_failed(row, OnboardingState.model_validate_json(record.document)) for row, record in failed]
    return BatchFigures(
        outcomes=outcomes,
        statuses=statuses,
        rows_failed=sum(outcomes[name] for name in NOT_STARTED) + statuses.get("failed", 0),
        failed_rows=sorted(shown, key=lambda failed_row: failed_row.row)[:FAILED_ROWS_SHOWN],
        slots_needed=slots_needed,
        slots_free=max(0, agent_slots - held) if agent_slots else None,
    )


def _not_started(reseller: str, row: BatchRow) -> FailedRow:
    taken = row.outcome == "conflict"
    return FailedRow(
        row=row.number,
        reference=row.reference,
        outcome=row.outcome,
        reason=row.reason or row.outcome,
        onboarding_id=workflow_id_for(reseller, row.reference) if taken else None,
    )


def _failed(row: BatchRow, state: OnboardingState) -> FailedRow:
    error = state.error
    return FailedRow(
        row=row.number,
        reference=row.reference,
        outcome=row.outcome,
        reason=f"the onboarding failed: {error.type}: {error.message}" if error else "the onboarding failed",
        onboarding_id=state.id,
    )
