"""Bodies that are not workflow models (the status document is ``OnboardingState``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, Field

from workflows.models import OnboardingState, StrictModel


class OnboardingPage(BaseModel):
    """One page of onboardings, newest first; pass ``next_cursor`` back as ``cursor`` for the next."""

    items: list[OnboardingState]
    next_cursor: str | None


class WebhookAck(BaseModel):
    """What the webhook receiver did with a delivery."""

    status: Literal["accepted", "duplicate", "ignored"]


class Health(BaseModel):
    """Whether the API can reach its dependencies."""

    status: Literal["ok", "degraded"]
    temporal: bool
    database: bool


#: base64 in the standard or the URL-safe alphabet, padded or not: what protobuf JSON reads as bytes
BASE64 = r"^(?:[A-Za-z0-9+/_-]{4})*(?:[A-Za-z0-9+/_-]{2}(?:==)?|[A-Za-z0-9+/_-]{3}=?)?$"
Base64 = Annotated[str, Field(pattern=BASE64)]


class CodecPayload(StrictModel):
    """A Temporal ``Payload`` as protobuf JSON: metadata values and data in base64, left out when empty."""

    metadata: dict[str, Base64] = Field(default_factory=dict)
    data: Base64 = ""


class CodecPayloads(StrictModel):
    """The body of the codec routes, and of their answers: Temporal ``Payloads`` as protobuf JSON."""

    payloads: list[CodecPayload] = Field(default_factory=list)
