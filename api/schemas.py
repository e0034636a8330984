"""Bodies that are not workflow models (the status document served is ``OnboardingDocument``)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, Field

from domain.batch import BatchState, RowOutcome
from domain.onboarding import CallbackUrl, OnboardingDocument, OnboardingRequest, StrictModel
from store.batches import FAILED_ROWS_SHOWN, FailedRow

_PCHAR = "(?:[A-Za-z0-9._~!$&'()*+,;=:@-]|%[0-9A-Fa-f]{2})"
#: an RFC 3986 http(s) URI whose authority is a host (a name or an IP literal) and a port: no credentials
URL_PATTERN = (
    r"^https?://(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?"
    rf"(?:/(?:{_PCHAR}|/)*)?(?:\?(?:{_PCHAR}|[/?])*)?(?:#(?:{_PCHAR}|[/?])*)?$"
)
_URL = re.compile(URL_PATTERN)


def _rfc3986(value: object) -> object:
    if isinstance(value, str) and not _URL.fullmatch(value):
        raise ValueError("must be an http(s) URI as RFC 3986 spells it: lower-case scheme, no user:password@")
    return value


#: a :data:`CallbackUrl` as a reseller sends it: an RFC 3986 URI, which its normalised form need not be
SentUrl = Annotated[
    CallbackUrl,
    Field(json_schema_extra={"format": "uri", "pattern": URL_PATTERN}),
    BeforeValidator(_rfc3986),
]
_FIELDS = OnboardingRequest.model_fields


class OnboardingStart(OnboardingRequest):
    """The body of ``POST /v1/onboardings``: an ``OnboardingRequest`` whose URLs are RFC 3986 URIs as sent.

    Only here: the workflow input keeps them normalised, and an onboarding started before this rule must
    still decode.
    """

    kyc_redirect_url: SentUrl | None = Field(
        default=None, validate_default=True, description=_FIELDS["kyc_redirect_url"].description
    )
    callback_url: SentUrl | None = Field(default=None, description=_FIELDS["callback_url"].description)


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
    #: the KYC relay, which signals the webhooks the API accepted, is running
    kyc_relay: bool


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


class Preflight(BaseModel):
    """The agent-platform slots a batch's rows not yet started would take, against those free."""

    agent_slots_needed: int = Field(description="rows not decided whose reference is not onboarding yet")
    agent_slots_free: int | None = Field(
        description="left under the reseller's agent_slots quota (rows past it are refused); null: no"
        " such quota"
    )
    platform_slots_free: int = Field(
        description="free in the agent-platform master accounts onboardings take slots in, shared by every"
        " reseller, less one for each onboarding under way that takes one before these rows: rows past"
        " them wait in awaiting_agent_capacity until a slot frees or an account is added"
    )
    enough: bool = Field(
        description="whether the free slots, under the quota and on the platform, cover the need"
    )


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
