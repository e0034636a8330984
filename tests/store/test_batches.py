"""Batch records: created once (the same batch again finds it, other rows under its id conflict), rows
decided once, the workflow's state mirrored newest first, and the figures a batch's status shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine

from domain.batch import MirrorBatch
from domain.onboarding import ErrorInfo
from store import batches, onboardings
from store.models import BatchRecord, BatchRow
from tests.store.test_onboardings import T0, state


def batch(content_hash: str = "c1", rows: int = 3) -> BatchRecord:
    return BatchRecord(
        id="batch-b1",
        reseller="default",
        reference="b1",
        content_hash=content_hash,
        rows=rows,
        state="running",
    )


def rows(*references: str) -> list[BatchRow]:
    return [
        BatchRow(
            batch_id="batch-b1",
            number=n,
            reference=ref,
            request_hash="h",
            request=b"sealed",
            outcome="pending",
        )
        for n, ref in enumerate(references, start=2)
    ]


def test_a_batch_is_created_once_and_other_rows_under_its_id_conflict(engine: Engine) -> None:
    created, is_new = batches.create(engine, batch(), rows("a", "b", "c"))
    again, is_new_again = batches.create(engine, batch(), rows("a", "b", "c"))
    assert is_new and not is_new_again and again.id == created.id and again.rows == 3
    with pytest.raises(batches.BatchConflict):
        batches.create(engine, batch("c2"), rows("a", "b", "x"))
    assert [row.reference for row in batches.pending(engine, "batch-b1", 10)] == ["a", "b", "c"]
    assert batches.get(engine, "batch-b1", reseller="other") is None


def test_a_row_is_decided_once_and_forgets_its_request(engine: Engine) -> None:
    batches.create(engine, batch(), rows("a", "b"))
    first = batches.attempt(engine, "batch-b1", 2, T0)
    assert batches.attempt(engine, "batch-b1", 2, T0 + timedelta(seconds=5)) == first == T0
    batches.decide(engine, "batch-b1", 2, "started", T0)
    batches.decide(engine, "batch-b1", 2, "conflict", T0, "too late")
    left = batches.pending(engine, "batch-b1", 10)
    assert [row.number for row in left] == [3] and left[0].request == b"sealed"
    stored = batches.get(engine, "batch-b1")
    assert stored is not None
    figures = batches.figures(engine, stored, agent_slots=0)
    assert figures.outcomes["started"] == 1 and figures.outcomes["pending"] == 1 and figures.failed_rows == []


def test_an_older_state_never_overwrites_a_newer_and_a_cancel_skips_the_rows_left(engine: Engine) -> None:
    batches.create(engine, batch(), rows("a", "b", "c"))
    batches.decide(engine, "batch-b1", 2, "started", T0)
    batches.mirror(engine, MirrorBatch(batch_id="batch-b1", state="cancelled", revision=2, at=T0))
    batches.mirror(engine, MirrorBatch(batch_id="batch-b1", state="paused", revision=1, at=T0))
    stored = batches.get(engine, "batch-b1")
    assert stored is not None and stored.state == "cancelled" and stored.revision == 2
    figures = batches.figures(engine, stored, agent_slots=0)
    assert figures.outcomes["skipped"] == 2 and figures.outcomes["pending"] == 0
    assert batches.pending(engine, "batch-b1", 10) == []


def test_figures_count_onboarding_statuses_failed_rows_and_agent_slots(engine: Engine) -> None:
    onboardings.claim(engine, state("a", status="awaiting_kyc"), "h")
    failed = state("b", status="failed").model_copy(
        update={"error": ErrorInfo(type="provider", message="no")}
    )
    onboardings.claim(engine, failed, "h")
    onboardings.claim(engine, state("taken"), "h")
    batches.create(engine, batch(rows=5), rows("a", "b", "c", "d", "taken"))
    batches.decide(engine, "batch-b1", 2, "started", T0)
    batches.decide(engine, "batch-b1", 3, "existing", T0)
    batches.decide(engine, "batch-b1", 4, "refused", T0, "the agent_slots quota is full")
    stored = batches.get(engine, "batch-b1")
    assert stored is not None

    figures = batches.figures(engine, stored, agent_slots=5)

    assert figures.statuses == {"awaiting_kyc": 1, "failed": 1}
    assert [(row.row, row.outcome, row.onboarding_id) for row in figures.failed_rows] == [
        (3, "existing", "onboarding-b"),
        (4, "refused", None),
    ]
    assert figures.failed_rows[0].reason == "the onboarding failed: provider: no"
    assert figures.rows_failed == 2
    # row 5 (d) still needs a slot; row 6 (taken) is onboarding already; a, b (failed: freed) and taken hold 2
    assert figures.slots_needed == 1 and figures.slots_free == 3
    assert batches.figures(engine, stored, agent_slots=0).slots_free is None


def test_working_counts_the_onboardings_the_batch_started_that_are_still_worked_on(engine: Engine) -> None:
    for reference, status in (("a", "creating_sub_account"), ("b", "awaiting_kyc"), ("c", "buying_numbers")):
        onboardings.claim(engine, state(reference, status=status), "h")
    onboardings.claim(engine, state("d", status="starting_kyc"), "h")
    batches.create(engine, batch(rows=4), rows("a", "b", "c", "d"))
    for number in (2, 3, 4):
        batches.decide(engine, "batch-b1", number, "started", T0)
    batches.decide(engine, "batch-b1", 5, "existing", T0)  # d: not this batch's doing

    assert batches.working(engine, "batch-b1", "default") == 2  # a and c; b waits for its customer
    assert batches.working(engine, "batch-b1", "other") == 0
