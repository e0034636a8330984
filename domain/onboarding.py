"""Models exchanged with the onboarding workflow: its input, the KYC signal, the restart update and
the status document answered by its query (and mirrored to the database).

Pure pydantic, no I/O: safe to import inside the workflow sandbox.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Annotated, Literal, Self

from email_validator import SPECIAL_USE_DOMAIN_NAMES
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    HttpUrl,
    JsonValue,
    TypeAdapter,
    ValidationInfo,
    WithJsonSchema,
    computed_field,
    field_validator,
    model_validator,
)

from providers.carrier_models import SUB_ACCOUNT_NAME_MAX, BusinessType, KycMode

WORKFLOW_NAME = "CustomerOnboarding"
#: Signal (no argument) to onboardings waiting in ``awaiting_agent_capacity``: a slot may have freed
AGENT_CAPACITY_FREED = "agent_capacity_freed"
WORKFLOW_ID_PREFIX = "onboarding-"
#: The longest hosted KYC session a request may ask for.
MAX_KYC_SESSION_DAYS = 90
#: The longest reference and reseller name: the longest onboarding id they make (:func:`workflow_id_for`)
#: names the carrier sub-account, so it must stay within the sub-account name limit.
REFERENCE_MAX_LENGTH = 64
RESELLER_MAX_LENGTH = SUB_ACCOUNT_NAME_MAX - len(f"{WORKFLOW_ID_PREFIX}~") - REFERENCE_MAX_LENGTH

OnboardingStatus = Literal[
    "creating_sub_account",
    "starting_kyc",
    "awaiting_kyc",
    "unblocking_calls",
    "buying_numbers",
    "awaiting_agent_capacity",
    "creating_agent",
    "completed",
    "kyc_rejected",
    "kyc_expired",
    "cancelling",
    "cancelled",
    "failed",
    # after ``completed``: the customer's lifecycle (workflows/lifecycle.py)
    "suspending",
    "suspended",
    "resuming",
    "active",
    "offboarding",
    "offboarded",
]
#: the statuses of a customer past onboarding: its lifecycle workflow moves it between them
LIFECYCLE_STATUSES: frozenset[str] = frozenset(
    {"suspending", "suspended", "resuming", "active", "offboarding", "offboarded"}
)
#: the onboarding is over (no cancel, no KYC restart, a repeated start starts nothing)
TERMINAL_STATUSES: frozenset[str] = (
    frozenset({"completed", "kyc_expired", "cancelled", "failed"}) | LIFECYCLE_STATUSES
)
#: what the onboarding created is gone from the providers (compensated, or the customer offboarded)
RESOURCES_REMOVED: frozenset[str] = frozenset({"kyc_expired", "cancelled", "failed", "offboarded"})
KycState = Literal["not_started", "pending", "approved", "rejected", "expired"]


#: the code points of Unicode's categories Cc and Cf (as of Unicode 14): controls (newlines, NUL, escapes)
#: and invisible formatting (bidi overrides, zero-width spaces, tags)
CONTROL_RANGES = (
    *((0x00, 0x1F), (0x7F, 0x9F), (0xAD, 0xAD), (0x600, 0x605), (0x61C, 0x61C), (0x6DD, 0x6DD)),
    *((0x70F, 0x70F), (0x890, 0x891), (0x8E2, 0x8E2), (0x180E, 0x180E), (0x200B, 0x200F)),
    *((0x202A, 0x202E), (0x2060, 0x2064), (0x2066, 0x206F), (0xFEFF, 0xFEFF), (0xFFF9, 0xFFFB)),
    *((0x110BD, 0x110BD), (0x110CD, 0x110CD), (0x13430, 0x13438), (0x1BCA0, 0x1BCA3)),
    *((0x1D173, 0x1D17A), (0xE0001, 0xE0001), (0xE0020, 0xE007F)),
)
#: the whitespace that is not a control (``str.isspace``): text neither starts nor ends with it
SPACE_RANGES = (
    *((0x20, 0x20), (0xA0, 0xA0), (0x1680, 0x1680), (0x2000, 0x200A), (0x2028, 0x2029)),
    *((0x202F, 0x202F), (0x205F, 0x205F), (0x3000, 0x3000)),
)


def _char_class(ranges: Iterable[tuple[int, int]]) -> str:
    """The inside of a regex character class of ``ranges``, as literal characters (no engine's escapes)."""
    return "".join(chr(low) if low == high else f"{chr(low)}-{chr(high)}" for low, high in ranges)


_CONTROL = _char_class(CONTROL_RANGES)
_EDGE = _CONTROL + _char_class(SPACE_RANGES)
_HAS_CONTROL = re.compile(f"[{_CONTROL}]")
#: what :func:`_printable` admits, as the pattern the API's document states
PRINTABLE = f"^[^{_EDGE}](?:[^{_CONTROL}]*[^{_EDGE}])?$"


def _printable(value: str) -> str:
    """Reject control characters (newlines, NUL, escapes) and edge whitespace; other unicode is welcome."""
    if _HAS_CONTROL.search(value):
        raise ValueError("must not contain control characters")
    if value != value.strip():
        raise ValueError("must not start or end with whitespace")
    return value


def _callback_url(value: str) -> str:
    """An absolute http(s) URL without credentials in it, normalised (``https://0x7f000001`` is
    ``https://127.0.0.1/``), so later checks see the address it really points at."""
    url = TypeAdapter(HttpUrl).validate_python(value)
    if url.username or url.password:
        raise ValueError("must not contain credentials (user:password@)")
    return str(url)


Text = Annotated[
    str,
    Field(min_length=1, max_length=100, json_schema_extra={"pattern": PRINTABLE}),
    AfterValidator(_printable),
]
CallbackUrl = Annotated[str, Field(max_length=2000), AfterValidator(_callback_url)]
#: ASCII letters, digits and ``._-``; pydantic's (Rust) ``$`` is the very end, so no trailing newline passes
Reference = Annotated[str, Field(pattern=rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{REFERENCE_MAX_LENGTH - 1}}}$")]


def _any_case(name: str) -> str:
    return "".join(f"[{ch.upper()}{ch}]" if ch.isalpha() else re.escape(ch) for ch in name)


#: an address as email-validator takes it: internationalised (``idn-email``), at no special-use name
Email = Annotated[
    EmailStr,
    WithJsonSchema(
        {
            "type": "string",
            "format": "idn-email",
            "not": {"pattern": f"[@.](?:{'|'.join(map(_any_case, SPECIAL_USE_DOMAIN_NAMES))})$"},
        }
    ),
]


class StrictModel(BaseModel):
    """Unknown fields are an error, so a typo in a request never passes silently."""

    model_config = ConfigDict(extra="forbid")


NumbersProvider = Literal["carrier", "agent_platform"]
KycFlow = Literal["email", "redirect"]


class NumbersRequest(StrictModel):
    """How many numbers to buy, where, and from whom."""

    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2 country code")
    count: int = Field(ge=1, le=10)
    provider: NumbersProvider = Field(
        default="carrier",
        description="`carrier`: bought from the carrier's inventory and assigned to the sub-account (routed"
        " to the configured SIP trunk group); `agent_platform`: bought inside the agent-platform"
        " sub-account, attached to the agent",
    )


class AgentSpec(StrictModel):
    """The AI voice agent to create in the sub-account."""

    name: Text
    voice_mode: Literal["hosted"] = "hosted"
    system_prompt: str = Field(min_length=1, max_length=20_000)


#: ``kyc_mode`` is ``personal_use`` (else it is ``customer_use``, the default)
_PERSONAL_USE: JsonValue = {"required": ["kyc_mode"], "properties": {"kyc_mode": {"const": "personal_use"}}}
#: the rules across fields that the validators of :class:`OnboardingRequest` enforce, as JSON Schema
_CUSTOMER_USE_RULES: dict[str, JsonValue] = {
    "allOf": [
        {"anyOf": [_PERSONAL_USE, {"required": ["email"], "properties": {"email": {"type": "string"}}}]},
        {
            "anyOf": [
                _PERSONAL_USE,
                {"properties": {"kyc_flow": {"const": "email"}}},
                {"required": ["kyc_redirect_url"], "properties": {"kyc_redirect_url": {"type": "string"}}},
            ]
        },
    ]
}


class OnboardingRequest(StrictModel):
    """What a reseller asks for: the body of ``POST /v1/onboardings``."""

    model_config = ConfigDict(json_schema_extra=_CUSTOMER_USE_RULES)

    reference: Reference = Field(description="the reseller's own id for the customer; not personal data")
    business_name: Text
    email: Email | None = None
    business_type: BusinessType = "individual"
    kyc_mode: KycMode = "customer_use"
    numbers: NumbersRequest
    agent: AgentSpec
    kyc_flow: KycFlow = Field(
        default="email",
        description="`email`: the provider emails the customer the KYC link; `redirect`: the link is handed"
        " out in the status document and the customer's browser comes back to `kyc_redirect_url`",
    )
    kyc_redirect_url: CallbackUrl | None = Field(
        default=None,
        validate_default=True,
        description="where the provider sends the customer after a `redirect` KYC session (required then)",
    )
    kyc_expires_in_days: int = Field(default=7, ge=1, le=MAX_KYC_SESSION_DAYS)
    callback_url: CallbackUrl | None = Field(
        default=None,
        description="where to POST each status change, signed per Standard Webhooks with the reseller's"
        " callback secret",
    )

    @model_validator(mode="after")
    def _customer_use_needs_email(self) -> Self:
        if self.kyc_mode == "customer_use" and self.email is None:
            raise ValueError("email is required when kyc_mode is customer_use")
        return self

    @field_validator("kyc_redirect_url")
    @classmethod
    def _redirect_flow_needs_its_url(cls, value: str | None, info: ValidationInfo) -> str | None:
        redirecting = info.data.get("kyc_mode") == "customer_use" and info.data.get("kyc_flow") == "redirect"
        if redirecting and value is None:
            raise ValueError("required when kyc_flow is redirect")
        return value


class OnboardingPolicy(BaseModel):
    """Timing knobs, fixed when the onboarding starts so the workflow stays deterministic."""

    kyc_poll_interval_s: float = Field(default=4 * 3600, gt=0)
    kyc_rejected_grace_s: float = Field(default=30 * 86400, gt=0)
    max_kyc_sessions: int = Field(default=3, ge=1)
    step_timeout_s: float = Field(
        default=60, gt=0, description="start-to-close timeout of each provider step"
    )
    cleanup_deadline_s: float = Field(
        default=86400, gt=0, description="how long a compensation step is retried before it is given up"
    )
    kyc_reminders_before_s: list[float] = Field(
        default_factory=lambda: [2 * 86400.0, 86400.0],
        description="seconds before a hosted session expires at which the reseller is reminded",
    )
    agent_capacity_recheck_s: float = Field(
        default=900,
        gt=0,
        description="while every agent-platform account is full, how often the onboarding looks again for"
        " a slot (a freed slot or an added account wakes it sooner)",
    )


class OnboardingInput(BaseModel):
    """The workflow's single argument."""

    onboarding_id: str
    reseller: str = "default"
    request: OnboardingRequest
    webhook_url: str
    policy: OnboardingPolicy = Field(default_factory=OnboardingPolicy)
    #: the starter (the API, a batch) stored the onboarding's record with its first status document, made
    #: at ``created_at``: the workflow takes that time and does not write the first status again
    recorded: bool = False
    created_at: datetime | None = None


class KycResult(BaseModel):
    """Signal ``kyc_result``: the provider's verdict on one hosted session, from a webhook or a poll."""

    event_id: str
    session_id: str
    outcome: Literal["approved", "rejected", "expired"]
    occurred_at: datetime


KycProgressEvent = Literal["kyc.initiated", "kyc.submitted"]


class KycProgress(BaseModel):
    """Signal ``kyc_progress``: the customer moved on in a hosted session (opened the link, submitted
    documents); recorded in the status document, never moves the onboarding."""

    event_id: str
    session_id: str
    event: KycProgressEvent
    occurred_at: datetime
    #: the provider's state per document (``pan``, ``gst``, ...) when the event arrived, if it could be read
    documents: dict[str, str] | None = None


class KycRestartRequest(BaseModel):
    """Update ``restart_kyc``: the reseller asks for a new hosted session after a rejection."""

    reason: str | None = Field(default=None, max_length=500)


class KycInfo(BaseModel):
    """The current hosted KYC session, as the reseller sees it."""

    session_id: str | None = None
    url: str | None = None
    status: KycState = "not_started"
    expires_at: datetime | None = None
    sessions_started: int = 0
    flow: KycFlow | None = None
    #: the latest progress event of the current session (``kyc.initiated``, ``kyc.submitted``) and when
    progress: KycProgressEvent | None = None
    progress_at: datetime | None = None
    #: hosted sessions this onboarding may start in all (None in documents from before it was recorded)
    sessions_allowed: int | None = None
    #: after a rejection: a new session must be asked for before this, or the onboarding fails
    restart_by: datetime | None = None
    #: reminders sent for this session (``onboarding.kyc_reminder`` callbacks)
    reminders_sent: int = 0
    #: the documents the business type needs (``gst or cin``: either will do), and the provider's state of
    #: each document as last reported (``not_started``, ``pending``, ``verified``, ``failed``)
    documents_required: list[str] = Field(default_factory=list)
    documents: dict[str, str] = Field(default_factory=dict)

    @property
    def documents_failed(self) -> list[str]:
        """The documents the provider failed."""
        return sorted(name for name, state in self.documents.items() if state == "failed")

    @property
    def documents_missing(self) -> list[str]:
        """The required documents not yet submitted (pending) or verified."""
        given = {name for name, state in self.documents.items() if state in ("pending", "verified")}
        return [need for need in self.documents_required if not given & set(need.split(" or "))]


Note = Annotated[
    str,
    Field(min_length=1, max_length=500, json_schema_extra={"pattern": PRINTABLE}),
    AfterValidator(_printable),
]
SuspendReason = Literal["non_payment", "kyc_past_due", "abuse", "reseller_request"]
NumbersOnOffboard = Literal["release", "keep"]
LifecycleOperationName = Literal["suspend", "resume", "offboard"]


class SuspendRequest(StrictModel):
    """``POST /v1/onboardings/{id}/suspend``: stop the customer's calls, keeping everything."""

    reason: SuspendReason
    note: Note | None = None


class ResumeRequest(StrictModel):
    """``POST /v1/onboardings/{id}/resume``: undo a suspension."""

    note: Note | None = None


class OffboardRequest(StrictModel):
    """``POST /v1/onboardings/{id}/offboard``: remove everything the customer holds at the providers."""

    numbers: NumbersOnOffboard = Field(
        description="`release`: the carrier numbers go back to the carrier (billing stops); `keep`: they"
        " are unassigned from the customer and stay in the reseller's pool (the reseller keeps paying)"
    )
    dry_run: bool = Field(default=False, strict=True, description="answer the plan only; nothing changes")
    note: Note | None = None


LifecycleRequest = SuspendRequest | ResumeRequest | OffboardRequest


class LifecycleInfo(BaseModel):
    """The customer's life after its onboarding completed: the last operation and the suspension."""

    operations: int = 0
    last_operation: LifecycleOperationName | None = None
    suspension_reason: SuspendReason | None = None
    suspension_note: str | None = None
    suspended_at: datetime | None = None
    offboard_numbers: NumbersOnOffboard | None = None


class LifecycleConflict(ValueError):
    """The operation makes no sense in the customer's current status (answered 409)."""


#: where a customer is headed once the operation under way finishes
_HEADED_FOR = {
    "completed": "active",
    "suspending": "suspended",
    "resuming": "active",
    "offboarding": "offboarded",
}


def lifecycle_decision(
    state: OnboardingState, operation: LifecycleOperationName, request: LifecycleRequest
) -> Literal["accept", "repeat"]:
    """Whether ``operation`` is new work (``accept``) or a repeat of the one that brought the customer
    where it is or is going (``repeat``: answered with the document, nothing done again); raises
    :class:`LifecycleConflict` with the reason when it makes no sense. The API and the workflow both
    decide by it: the API on the stored document, the workflow on its own."""
    headed = _HEADED_FOR.get(state.status, state.status)
    life = state.lifecycle or LifecycleInfo()
    if headed not in ("active", "suspended", "offboarded"):
        raise LifecycleConflict(
            f"the customer is still onboarding ({state.status}): {operation} needs a completed onboarding"
        )
    if headed == "offboarded":
        if isinstance(request, OffboardRequest) and request.numbers == life.offboard_numbers:
            return "repeat"
        raise LifecycleConflict(f"the customer is offboarded: {operation} is no longer possible")
    if isinstance(request, SuspendRequest):
        if headed == "active":
            return "accept"
        if (request.reason, request.note) == (life.suspension_reason, life.suspension_note):
            return "repeat"
        raise LifecycleConflict(
            f"the customer is already suspended ({life.suspension_reason}): resume it first"
        )
    if isinstance(request, ResumeRequest):
        if headed == "suspended":
            return "accept"
        if life.last_operation == "resume":
            return "repeat"
        raise LifecycleConflict("the customer is not suspended: there is nothing to resume")
    return "accept"


class ErrorInfo(BaseModel):
    """Why an onboarding failed: a stable ``type`` and a human message (never a secret)."""

    type: str
    message: str


#: The documents each business type proves itself with (the carrier's KYC rules).
_PERSON = ["pan", "aadhaar"]
_COMPANY = ["pan", "gst or cin"]
_BODY = ["pan", "registration"]
REQUIRED_DOCUMENTS: dict[BusinessType, list[str]] = {
    "individual": _PERSON,
    "proprietorship": _PERSON,
    "huf": _PERSON,
    "private_limited": _COMPANY,
    "public_limited": _COMPANY,
    "llp": _COMPANY,
    "partnership": _COMPANY,
    "trust": _BODY,
    "society": _BODY,
    "government": _BODY,
}

Actor = Literal["customer", "reseller", "operator", "nobody"]

#: Who must act while an onboarding is in each status (``GET /v1/onboardings?actor=`` filters on it).
ACTOR_BY_STATUS: dict[str, Actor] = {
    "creating_sub_account": "nobody",
    "starting_kyc": "nobody",
    "awaiting_kyc": "customer",
    "unblocking_calls": "nobody",
    "buying_numbers": "nobody",
    "awaiting_agent_capacity": "operator",
    "creating_agent": "nobody",
    "completed": "nobody",
    "kyc_rejected": "reseller",
    "kyc_expired": "reseller",
    "cancelling": "nobody",
    "cancelled": "nobody",
    "failed": "operator",
    "suspending": "nobody",
    "suspended": "reseller",
    "resuming": "nobody",
    "active": "nobody",
    "offboarding": "nobody",
    "offboarded": "nobody",
}


class NextAction(BaseModel):
    """What should happen next: who acts (``nobody`` while we work or once it is over), a stable ``code``,
    one human sentence, the deadline if there is one, and the details needed to act."""

    actor: Actor
    code: str
    message: str
    due_by: datetime | None = None
    details: dict[str, str | int | None] = Field(default_factory=dict)


class OnboardingState(BaseModel):
    """The status document: answered by the ``status`` query, mirrored to the database, served by the API
    (as :class:`OnboardingDocument`)."""

    id: str
    reference: str
    reseller: str = "default"
    status: OnboardingStatus
    kyc_mode: KycMode
    kyc: KycInfo = Field(default_factory=KycInfo)
    sub_account_id: str | None = None
    numbers: list[str] = Field(default_factory=list)
    numbers_provider: NumbersProvider = "carrier"
    agent_id: str | None = None
    #: the agent-platform master account (``ONBOARD_AGENTS_ACCOUNTS`` name) whose sub-account slot the
    #: onboarding holds: its agent-platform resources live there (None: not taken yet, or ``default``
    #: for onboardings from before several accounts)
    agent_account: str | None = None
    #: compensation waits for a number's unassign cool-off (a call in the last 15 days) until then
    cool_off_until: datetime | None = None
    error: ErrorInfo | None = None
    #: set once a lifecycle operation (suspend, resume, offboard) was asked for
    lifecycle: LifecycleInfo | None = None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def first(
        cls, onboarding_id: str, reseller: str, request: OnboardingRequest, at: datetime
    ) -> OnboardingState:
        """The first status document of onboarding ``onboarding_id``, made ``at``: the one its starter stores
        with the record and the one its workflow begins from, so that neither has to write it again."""
        return cls(
            id=onboarding_id,
            reference=request.reference,
            reseller=reseller,
            status="creating_sub_account",
            kyc_mode=request.kyc_mode,
            numbers_provider=request.numbers.provider,
            created_at=at,
            updated_at=at,
        )

    @property
    def is_terminal(self) -> bool:
        """True once the onboarding can no longer change."""
        return self.status in TERMINAL_STATUSES

    def take_progress(
        self,
        session_id: str | None,
        event: KycProgressEvent,
        at: datetime,
        documents: dict[str, str] | None = None,
    ) -> bool:
        """Record the customer's progress (and the provider's per-document states, when read) in the
        current session while awaiting KYC; whether it changed the document. A stale session's event
        changes nothing; a repeated or backward one changes only the documents."""
        kyc = self.kyc
        if session_id != kyc.session_id or self.status != "awaiting_kyc":
            return False
        changed = documents is not None and documents != kyc.documents
        if documents is not None:
            kyc.documents = documents
        if kyc.progress in (event, "kyc.submitted"):
            return changed
        kyc.progress, kyc.progress_at = event, at
        return True

    @computed_field  # type: ignore[prop-decorator]
    @property
    def next_action(self) -> NextAction:
        """Who must do what next, derived from the rest of the document."""
        actor = ACTOR_BY_STATUS[self.status]
        if self.status == "awaiting_kyc":
            return self._complete_kyc()
        if self.status == "kyc_rejected":
            allowed = self.kyc.sessions_allowed
            left = None if allowed is None else allowed - self.kyc.sessions_started
            return NextAction(
                actor=actor,
                code="restart_kyc",
                message=f"KYC was rejected: restart it (POST /v1/onboardings/{self.id}/kyc/restart) to give"
                " the customer a new hosted session, before the deadline.",
                due_by=self.kyc.restart_by,
                details={"sessions_left": left},
            )
        if self.status == "kyc_expired":
            return NextAction(
                actor=actor,
                code="start_again",
                message="The customer did not finish KYC in time and the sub-account was removed: start a"
                " new onboarding under a new reference to try again.",
            )
        if self.status == "failed" and self.error is not None and self.error.type == "cleanup_failed":
            return NextAction(
                actor=actor,
                code="clean_up_by_hand",
                message=f"The onboarding failed, {self.error.message}: what it created may still be at the"
                " providers; remove it by hand.",
                details={
                    "error_type": self.error.type,
                    "sub_account_id": self.sub_account_id,
                    "numbers": ", ".join(self.numbers) or None,
                    "agent_id": self.agent_id,
                },
            )
        if self.status == "failed":
            error = self.error or ErrorInfo(type="unknown", message="no error was recorded")
            return NextAction(
                actor=actor,
                code="investigate_failure",
                message=f"The onboarding failed ({error.type}): {error.message}. What it had created was"
                " removed; fix the cause, then start a new onboarding under a new reference.",
                details={"error_type": error.type},
            )
        if self.status == "suspended":
            life = self.lifecycle or LifecycleInfo()
            return NextAction(
                actor=actor,
                code="resume_or_offboard",
                message=f"The customer is suspended ({life.suspension_reason}): its calls are blocked. Resume"
                f" it (POST /v1/onboardings/{self.id}/resume) once settled, or offboard it.",
                details={"reason": life.suspension_reason, "since": _iso(life.suspended_at)},
            )
        if self.status in ("suspending", "resuming"):
            return NextAction(
                actor=actor,
                code="wait_for_lifecycle",
                message=f"Nothing to do: the customer is {self.status} at the providers.",
                details={"step": self.status},
            )
        if self.status == "awaiting_agent_capacity":
            return NextAction(
                actor=actor,
                code="add_agent_capacity",
                message="Every agent-platform master account is full: the onboarding goes on by itself as"
                " soon as a slot frees (an onboarding cancelled, failed or offboarded) or an operator adds"
                " an account (ONBOARD_AGENTS_ACCOUNTS).",
                details={"step": "creating_agent"},
            )
        if self.status in ("cancelling", "offboarding"):
            return NextAction(
                actor=actor,
                code="wait_for_cleanup",
                message="What the onboarding created is being removed"
                + (" once the carrier's cool-off on its numbers ends." if self.cool_off_until else "."),
                due_by=self.cool_off_until,
            )
        if self.is_terminal:
            return NextAction(actor=actor, code="none", message=_OVER[self.status])
        return NextAction(
            actor=actor,
            code="wait_for_provisioning",
            message="Nothing to do: the sub-account is being set up.",
            details={"step": self.status},
        )

    def _complete_kyc(self) -> NextAction:
        emailed = self.kyc.flow != "redirect"
        where = "the link the provider emailed them" if emailed else "the link you send them"
        message = f"The customer completes KYC on the hosted page ({where}) before it expires."
        return NextAction(
            actor="customer",
            code="complete_kyc",
            message=message,
            due_by=self.kyc.expires_at,
            details={
                "kyc_url": self.kyc.url,
                "flow": self.kyc.flow,
                "progress": self.kyc.progress,
                "documents_missing": ", ".join(self.kyc.documents_missing) or None,
                "documents_failed": ", ".join(self.kyc.documents_failed) or None,
            },
        )


class OnboardingLinks(BaseModel):
    """Where else to look at an onboarding."""

    temporal_ui: str | None = Field(
        default=None,
        description="the onboarding's workflow in the Temporal UI, for operators who can reach it"
        " (null when no UI URL is configured)",
    )
    customer_temporal_ui: str | None = Field(
        default=None,
        description="the customer's lifecycle workflow (suspend, resume, offboard) in the Temporal UI, once"
        " an operation was asked for",
    )


class OnboardingDocument(OnboardingState):
    """The status document as the API answers it and callbacks carry it: the workflow's state with links
    the serving process adds (the workflow itself never reads settings)."""

    links: OnboardingLinks = Field(default_factory=OnboardingLinks)


def _iso(at: datetime | None) -> str | None:
    return None if at is None else at.isoformat()


_OVER = {
    "completed": "Nothing to do: the customer's sub-account, numbers and agent are ready for calls.",
    "active": "Nothing to do: the customer was resumed; its sub-account, numbers and agent take calls.",
    "offboarded": "Nothing to do: the customer was offboarded; nothing of it is left at the providers"
    " (its carrier numbers stay in your pool if you chose to keep them).",
    "cancelled": "Nothing to do: the onboarding was cancelled and what it created was removed.",
}


#: A reseller's callback endpoint gets this long to take each change before it is given up.
CALLBACK_DEADLINE = timedelta(days=3)
STATUS_CHANGED = "onboarding.status_changed"
KYC_REMINDER = "onboarding.kyc_reminder"


class StatusCallback(BaseModel):
    """One event to POST to the reseller's callback URL; ``event_id`` (its ``webhook-id``) is the same on
    every attempt and redelivery."""

    url: str
    reseller: str
    event_id: str
    type: str = STATUS_CHANGED
    document: OnboardingState
    #: when the event happened; a status change happened when its document was updated
    occurred_at: datetime | None = None

    @property
    def at(self) -> datetime:
        """When the event happened."""
        return self.occurred_at or self.document.updated_at


def callback_task_queue(task_queue: str) -> str:
    """The task queue of the status callbacks of onboardings running on ``task_queue``: a worker pool of
    its own, so a slow reseller endpoint never holds a provider call's slot."""
    return f"{task_queue}-callbacks"


def scoped_id(prefix: str, reseller: str, reference: str) -> str:
    """``<prefix><reference>`` for the default reseller, else ``<prefix><reseller>~<reference>``.

    ``~`` appears in neither a reseller name nor a reference, so two resellers never share an id.
    """
    if reseller == "default":
        return f"{prefix}{reference}"
    return f"{prefix}{reseller}~{reference}"


def workflow_id_for(reseller: str, reference: str) -> str:
    """``onboarding-<reference>`` for the default reseller, else ``onboarding-<reseller>~<reference>``;
    the id also names the onboarding's carrier sub-account."""
    return scoped_id(WORKFLOW_ID_PREFIX, reseller, reference)
