"""Response bodies that are not workflow models (the status document is ``OnboardingDocument``)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

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
