"""Models of bulk onboarding, shared by the API, the store, the ``OnboardingBatch`` workflow and its
activities. Pure pydantic, no I/O: safe to import inside the workflow sandbox.

A batch's rows live in the database (``batch_rows``), never in the workflow's history: the workflow
passes the batch id, and the activity reads the next rows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from domain.onboarding import scoped_id

BATCH_WORKFLOW = "OnboardingBatch"
BATCH_ID_PREFIX = "batch-"

#: ``running``: starting its rows; ``paused``: waits to be resumed; ``cancelled``: its rows not started
#: by then never will be; ``completed``: every row was decided. The onboardings started go on in each.
BatchState = Literal["running", "paused", "cancelled", "completed"]
FINISHED_BATCH_STATES: frozenset[str] = frozenset({"cancelled", "completed"})

#: What became of one row: ``pending`` (not yet), ``started`` (its onboarding was started by the batch),
#: ``existing`` (the same request was already onboarding: nothing started twice), ``conflict`` (its
#: reference is onboarding with another request), ``refused`` (a quota that only an ending onboarding
#: frees), ``skipped`` (the batch was cancelled first).
RowOutcome = Literal["pending", "started", "existing", "conflict", "refused", "skipped"]
#: rows whose onboarding runs (whoever started it)
ONBOARDED: tuple[RowOutcome, ...] = ("started", "existing")
#: rows that were not started, for a reason the reseller must look at
NOT_STARTED: tuple[RowOutcome, ...] = ("conflict", "refused")


def batch_id_for(reseller: str, reference: str) -> str:
    """``batch-<reference>`` for the default reseller, else ``batch-<reseller>~<reference>``."""
    return scoped_id(BATCH_ID_PREFIX, reseller, reference)


class BatchInput(BaseModel):
    """The batch workflow's argument; a continued run carries where the last one stood."""

    batch_id: str
    reseller: str
    rows: int
    #: ``cancelled`` only in runs that earlier code continued after a cancel in a run's last chunk: such a
    #: run ends at once, cancelled
    state: Literal["running", "paused", "cancelled"] = "running"
    #: state changes so far: the database mirror keeps the newest
    revision: int = 0
    rows_decided: int = 0
    #: chunks a run starts before it continues as new, keeping its history short
    chunks_per_run: int = Field(default=100, ge=1)


class StartRows(BaseModel):
    """Start the batch's next pending rows, paced, for a few seconds."""

    batch_id: str
    reseller: str


class RowsStarted(BaseModel):
    """What one chunk did: rows decided, whether none is left, and what to wait for before the next row
    is tried, ``retry_after_s``: a quota (in_flight, starts_per_minute) or ``backlog`` (as many of the
    batch's onboardings as allowed are still worked on)."""

    decided: int
    done: bool
    #: the batch's rows decided by the chunk's end, a crashed attempt's included (None: an earlier worker)
    decided_in_all: int | None = None
    waiting_for: str | None = None
    retry_after_s: float = 0


class MirrorBatch(BaseModel):
    """The batch's state as its workflow decided it, to the database; cancelled: its pending rows are
    skipped."""

    batch_id: str
    state: BatchState
    revision: int
    at: datetime


class BatchProgress(BaseModel):
    """The ``progress`` query's answer (and the workflow's result)."""

    batch_id: str
    state: BatchState
    rows: int
    rows_decided: int
    waiting_for: str | None = None
    waiting_until: datetime | None = None
