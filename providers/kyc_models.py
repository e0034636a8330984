"""Wire models of the carrier's hosted KYC (Vobiz-style): sessions, the KYC status, the KYC webhook.

Shared by the client and the sandbox. Sources are in ``provider-api.md`` (skill-S, skill-P); fields the
vendor does not publish are marked (ours). The client is lenient where the vendor is silent: a status it
does not know is "undecided", a missing ``expires_at`` is worked out from ``expires_in_days``, and of a
webhook it reads only the event name and the session id.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from typing import Literal, Self

from pydantic import ConfigDict, EmailStr, Field, JsonValue, model_validator

from providers.carrier_models import VerificationState, WireModel

KycFlow = Literal["email", "redirect"]
#: the published statuses, plus ``expired`` (ours: the vendor sends ``kyc.session_expired`` but does not
#: name the status a session has afterwards)
KycSessionStatus = Literal[
    "email_sent", "link_ready", "opened", "in_progress", "kyc_completed", "revoked", "expired"
]
ACTIVE_STATUSES: frozenset[KycSessionStatus] = frozenset(
    {"email_sent", "link_ready", "opened", "in_progress"}
)
KycEvent = Literal[
    "kyc.initiated",
    "kyc.submitted",
    "kyc.completed",
    "kyc.failed",
    "kyc.session_expired",
    "kyc.session_revoked",
]
#: the provider's confirmed verdict on one session
KycVerdict = Literal["approved", "rejected", "expired", "revoked"]


class KycSessionCreate(WireModel):
    """Body of ``POST /sub-accounts/{sub_auth_id}/kyc-sessions``.

    ``email`` (the default) needs ``customer_email``, the provider emails the link; ``redirect`` needs
    ``redirect_url`` and answers with ``widget_url``.
    """

    model_config = ConfigDict(extra="forbid")

    account_auth_id: str = Field(min_length=1)
    flow_type: KycFlow = "email"
    customer_email: EmailStr | None = None
    redirect_url: str | None = Field(default=None, min_length=1)
    webhook_url: str | None = Field(default=None, min_length=1)
    #: default 7 as published; the upper bound is ours
    expires_in_days: int = Field(default=7, ge=1, le=90)

    @model_validator(mode="after")
    def _flow_needs_its_field(self) -> Self:
        if self.flow_type == "email" and self.customer_email is None:
            raise ValueError("customer_email is required when flow_type is email")
        if self.flow_type == "redirect" and self.redirect_url is None:
            raise ValueError("redirect_url is required when flow_type is redirect")
        return self


class KycSessionCreated(WireModel):
    """Answer to session creation: the session is named ``session_id`` here."""

    session_id: str
    #: one of :data:`KycSessionStatus` as published; any other is read as undecided
    status: str
    #: redirect flow only: the page to send the customer to
    widget_url: str | None = None
    #: (ours) when the session expires; when absent, ``expires_in_days`` after creation
    expires_at: datetime | None = None


class KycSession(WireModel):
    """A session as ``GET /sub-accounts/{sub_auth_id}/kyc-sessions/{id}`` (ours: the path) answers it."""

    id: str
    account_auth_id: str | None = None
    #: one of :data:`KycSessionStatus` as published; any other is read as undecided
    status: str
    #: null until the PAN is submitted
    kyc_type: str | None = None
    #: (ours)
    expires_at: datetime | None = None


class KycStatus(WireModel):
    """Answer of ``GET /sub-accounts/{sub_auth_id}/kyc/status``; the per-document values are the
    provider's (the sandbox sends a state per document, ours)."""

    overall_status: VerificationState
    kyc_calls_blocked: bool
    verifications: dict[str, JsonValue] = Field(default_factory=dict)


class KycWebhookNotice(WireModel):
    """What our receiver reads of a KYC webhook: the event name (unknown ones are acknowledged and
    ignored) and the session. The vendor does not publish the rest, and a verdict is confirmed with a GET."""

    event: str = Field(min_length=1, max_length=64)
    session_id: str = Field(min_length=1, max_length=100)


class KycWebhook(KycWebhookNotice):
    """The KYC webhook body the sandbox sends: the published event names, and fields of ours."""

    event: KycEvent
    sub_auth_id: str | None = None
    overall_status: VerificationState | None = None
    verifications: dict[str, JsonValue] = Field(default_factory=dict)
    occurred_at: datetime | None = None


def kyc_signature(body: bytes, auth_token: str) -> str:
    """The ``X-Vobiz-Signature`` of a webhook ``body``: ``sha256=`` and the hex HMAC-SHA256 keyed with the
    master account's ``auth_token``."""
    return "sha256=" + hmac.new(auth_token.encode(), body, hashlib.sha256).hexdigest()
