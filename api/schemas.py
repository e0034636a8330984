"""Response bodies that are not workflow models (the status document is ``OnboardingDocument``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from store.batches import FAILED_ROWS_SHOWN, FailedRow
from workflows.batch_models import BatchState, RowOutcome
from workflows.models import OnboardingDocument


class OnboardingPage(BaseModel):
    """One page of onboardings, newest first; pass ``next_cursor`` back as ``cursor`` for the next."""

    items: list[OnboardingDocument]
    next_cursor: str | None


class WebhookAck(BaseModel):
    """What the webhook receiver did with a delivery."""

    status: Literal["accepted", "duplicate", "ignored"]


class Health(BaseModel):
    """Whether the API can reach its dependencies."""

    status: Literal["ok", "degraded"]
    temporal: bool
    database: bool


class Preflight(BaseModel):
    """The agent-platform slots a batch's rows not yet started would take, against those free."""

    agent_slots_needed: int = Field(description="rows not decided whose reference is not onboarding yet")
    agent_slots_free: int | None = Field(
        description="left under the reseller's agent_slots quota; null: unknown (no quota is set, and the"
        " agent platform's own limit cannot be read over its API)"
    )
    enough: bool | None = Field(description="whether the free slots cover the need; null: unknown")


class BatchLinks(BaseModel):
    """Where else to look at a batch."""

    temporal_ui: str | None = Field(
        default=None,
        description="the batch's workflow in the Temporal UI (null when no UI URL is configured)",
    )


class BatchDocument(BaseModel):
    """A batch as the API answers it, counted from the database when asked."""

    id: str
    reference: str
    state: BatchState
    rows: int
    outcomes: dict[RowOutcome, int] = Field(description="rows per outcome (every outcome, zeros included)")
    statuses: dict[str, int] = Field(description="the onboardings of rows started or existing, per status")
    rows_failed: int = Field(description="rows not started (conflict, refused) or whose onboarding failed")
    failed_rows: list[FailedRow] = Field(description=f"the first {FAILED_ROWS_SHOWN} of them, with reasons")
    waiting_for: str | None = Field(
        description="what the next row waits for: a reseller quota (in_flight, starts_per_minute), or"
        " backlog (as many onboardings the batch started as the operators allow are still worked on);"
        " null: nothing"
    )
    waiting_until: datetime | None
    preflight: Preflight
    created_at: datetime
    updated_at: datetime
    links: BatchLinks
