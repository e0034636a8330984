"""Tables. Personal data lives only in ``OnboardingRecord.document``; credentials only encrypted."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, Index, LargeBinary, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    """Timezone-aware now."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """A datetime read back from the database, timezone-aware: SQLite hands them back naive, and they
    were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class OnboardingRecord(SQLModel, table=True):
    """One onboarding: its identity, the request fingerprint (for idempotent start) and the last status."""

    __tablename__ = "onboardings"
    __table_args__ = (
        UniqueConstraint("reseller", "reference", name="uq_onboarding_reseller_reference"),
        # the lists' order, so that a page reads its rows off an index instead of sorting every match
        Index("ix_onboardings_reseller_status_created", "reseller", "status", "created_at", "id"),
        Index("ix_onboardings_reseller_created", "reseller", "created_at", "id"),
    )

    id: str = Field(primary_key=True, max_length=200)
    reseller: str = Field(max_length=100)  # indexed first in the lists' indexes
    reference: str = Field(max_length=64)
    request_hash: str = Field(max_length=64)
    status: str = Field(index=True, max_length=32)
    kyc_session_id: str | None = Field(default=None, index=True, max_length=100)
    document: str = Field(description="the OnboardingState as JSON")
    created_at: datetime = Field(default_factory=utcnow, index=True, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    #: the request's callback URL, for the lifecycle's callbacks (the request itself is not stored)
    callback_url: str | None = Field(default=None, max_length=2000)


class WebhookEvent(SQLModel, table=True):
    """The webhook inbox: one row per provider event id, so a redelivery signals nothing new; the KYC relay
    confirms and signals each row after the delivery was answered (``signalled_at`` once it is settled)."""

    __tablename__ = "webhook_events"

    id: str = Field(primary_key=True, max_length=200)
    type: str = Field(max_length=64)
    session_id: str = Field(max_length=100)
    onboarding_id: str | None = Field(default=None, max_length=200)
    received_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    signalled_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    #: the relay's tries so far
    attempts: int = Field(default=0)
    #: when a relay may next take the row: a claim holds it until then, a retry waits for it
    due_at: datetime | None = Field(default=None, index=True, sa_type=DateTime(timezone=True))


class SubAccountCredential(SQLModel, table=True):
    """A carrier sub-account's auth token, AES-GCM encrypted; ``key_id`` names the vault key used."""

    __tablename__ = "sub_account_credentials"

    sub_auth_id: str = Field(primary_key=True, max_length=100)
    onboarding_id: str = Field(index=True, max_length=200)
    key_id: str = Field(max_length=32)
    ciphertext: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class KycSessionLink(SQLModel, table=True):
    """Which onboarding a hosted KYC session belongs to (every session, not only the current one)."""

    __tablename__ = "kyc_sessions"

    session_id: str = Field(primary_key=True, max_length=100)
    onboarding_id: str = Field(index=True, max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class ApiKey(SQLModel, table=True):
    """A reseller API key: only its SHA-256 is stored; ``prefix`` identifies it in lists and logs."""

    __tablename__ = "api_keys"

    id: str = Field(primary_key=True, max_length=32, description="the key's public prefix")
    reseller: str = Field(index=True, max_length=100)
    key_hash: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    revoked_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class NumberClaim(SQLModel, table=True):
    """Which onboarding may buy a carrier number: taken before the purchase, so two onboardings never buy
    the same number, and a purchase whose answer was lost is known to be ours when the number shows up
    owned by the master account."""

    __tablename__ = "number_claims"

    e164: str = Field(primary_key=True, max_length=20)
    onboarding_id: str = Field(index=True, max_length=200)
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class CallbackEvent(SQLModel, table=True):
    """A callback to a reseller (its ``webhook-id`` as id) and how its delivery went so far."""

    __tablename__ = "callback_events"
    # the list's order, so that a page reads its rows off an index instead of sorting all the reseller's
    __table_args__ = (Index("ix_callback_events_reseller_created", "reseller", "created_at", "id"),)

    id: str = Field(primary_key=True, max_length=250)
    onboarding_id: str = Field(index=True, max_length=200)
    reseller: str = Field(max_length=100)  # indexed first in the lists' indexes
    type: str = Field(max_length=64)
    url: str = Field(max_length=2000)
    document: str = Field(description="the status document sent, as JSON")
    created_at: datetime = Field(index=True, sa_type=DateTime(timezone=True))
    delivered_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    #: the URL was refused for good (invalid, or not public in production): nothing will deliver it
    refused: bool = False


class CallbackAttempt(SQLModel, table=True):
    """One delivery attempt of a callback: the HTTP status the endpoint answered, or why there was none."""

    __tablename__ = "callback_attempts"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(index=True, max_length=250)
    at: datetime = Field(sa_type=DateTime(timezone=True))
    answered: int | None = None
    error: str | None = Field(default=None, max_length=500)
    duration_ms: int
    redelivery: bool = False


class BatchRecord(SQLModel, table=True):
    """A bulk onboarding: its rows are ``BatchRow``s; ``state`` is mirrored from its workflow, newest
    ``revision`` wins."""

    __tablename__ = "batches"

    id: str = Field(primary_key=True, max_length=200)
    reseller: str = Field(index=True, max_length=100)
    reference: str = Field(max_length=64)
    content_hash: str = Field(max_length=64, description="tells the same batch sent again from another")
    rows: int
    state: str = Field(max_length=16)
    revision: int = 0
    #: a quota the next row waits for, and until when (None while no row waits)
    waiting_for: str | None = Field(default=None, max_length=32)
    waiting_until: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class BatchRow(SQLModel, table=True):
    """One row of a batch, numbered as its file shows it. The request is kept encrypted (a payload under
    the codec keys, as in workflow histories) only until the row is decided."""

    __tablename__ = "batch_rows"

    batch_id: str = Field(primary_key=True, max_length=200)
    number: int = Field(primary_key=True)
    reference: str = Field(max_length=64)
    request_hash: str = Field(max_length=64)
    request: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    outcome: str = Field(max_length=16)
    reason: str | None = Field(default=None, max_length=500)
    attempted_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    decided_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))


class LifecycleAuditRecord(SQLModel, table=True):
    """One lifecycle operation (suspend, resume, offboard): who asked, when, why and the request."""

    __tablename__ = "lifecycle_audit"

    id: str = Field(primary_key=True, max_length=220, description="<onboarding id>:<seq>")
    onboarding_id: str = Field(index=True, max_length=200)
    reseller: str = Field(max_length=100)
    seq: int
    operation: str = Field(max_length=16)
    actor: str = Field(max_length=64, description="the API key's prefix (key:…) or operator")
    at: datetime = Field(sa_type=DateTime(timezone=True))
    reason: str | None = Field(default=None, max_length=32)
    request: str = Field(description="the request body as JSON")


class AgentAccount(SQLModel, table=True):
    """An agent-platform master account (``ONBOARD_AGENTS_ACCOUNTS``), as the workers last configured it:
    ``slot_limit`` sub-accounts at most; ``full_since`` says the platform answered its limit before our
    count reached it (no slot is taken there until one of its slots is given back)."""

    __tablename__ = "agent_accounts"

    name: str = Field(primary_key=True, max_length=32)
    slot_limit: int
    #: the order slots are taken from the accounts (the configured order)
    position: int = 0
    full_since: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    added_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class AgentSlot(SQLModel, table=True):
    """One agent-platform sub-account slot held by an onboarding, numbered ``0 .. slot_limit - 1`` within
    its account: the primary key holds one slot per onboarding, the unique (account, slot) pair keeps two
    onboardings from ever holding the same slot, so an account never has more than its limit taken."""

    __tablename__ = "agent_slots"
    __table_args__ = (UniqueConstraint("account", "slot", name="uq_agent_slot_account_slot"),)

    onboarding_id: str = Field(primary_key=True, max_length=200)
    account: str = Field(index=True, max_length=32)
    slot: int
    taken_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    #: the agent-platform sub-account made in this slot, once the platform has answered its id: later
    #: steps address it directly instead of paging the master account's sub-accounts for its name
    sub_account_id: str | None = Field(default=None, max_length=64)
    #: when a create of that sub-account was first sent from this slot; until then nothing at the platform
    #: bears the onboarding's name, so a step finding no id above has nothing to look up by name
    create_sent_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))

    @property
    def may_hide_sub_account(self) -> bool:
        """Whether a sub-account may exist for this slot with its id unknown to us: a create was sent and
        its answer lost."""
        return self.sub_account_id is None and self.create_sent_at is not None
