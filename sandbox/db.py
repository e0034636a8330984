"""The sandbox's own tables, on their own metadata (never mixed with ``store``'s), in SQLite by default.

Everything a restart must keep lives here: sub-accounts, KYC sessions, numbers, agents, idempotent
answers and the webhook outbox with its attempts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import DateTime, Engine, inspect, text
from sqlalchemy.orm import registry
from sqlmodel import Field, SQLModel

from store.db import make_engine


def utcnow() -> datetime:
    """Timezone-aware now."""
    return datetime.now(UTC)


def aware(moment: datetime) -> datetime:
    """``moment`` as UTC-aware (SQLite hands datetimes back naive)."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class SandboxModel(SQLModel, registry=registry()):
    """Base of the sandbox tables: a metadata of their own."""


class SubAccountRow(SandboxModel, table=True):
    """A carrier sub-account (``id`` is its numeric id beside the auth id); ``verified_at`` starts the
    unblock delay after KYC approval. The password of the create body is never kept."""

    __tablename__ = "sub_accounts"

    auth_id: str = Field(primary_key=True, max_length=40)
    id: int = Field(unique=True)
    name: str = Field(max_length=100)
    email: str | None = Field(default=None, max_length=320)
    kyc_mode: str = Field(max_length=20)
    business_type: str | None = Field(default=None, max_length=30)
    enabled: bool = True
    rate_limit: int = 1000
    permissions: str | None = Field(default=None, description="the create body's permissions, as JSON")
    phone: str | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, max_length=500)
    token_hash: str = Field(max_length=64, description="SHA-256 of the sub-account's auth token")
    kyc_status: str = Field(default="not_started", max_length=20)
    verified_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utcnow, index=True, sa_type=DateTime(timezone=True))


class KycSessionRow(SandboxModel, table=True):
    """A hosted KYC session; ``token`` is the secret part of its page address (the emailed link too)."""

    __tablename__ = "hosted_kyc_sessions"

    session_id: str = Field(primary_key=True, max_length=40)
    token: str = Field(unique=True, max_length=64)
    sub_auth_id: str = Field(index=True, max_length=40)
    account_auth_id: str = Field(max_length=40)
    flow_type: str = Field(max_length=10)
    customer_email: str | None = Field(default=None, max_length=320)
    redirect_url: str | None = None
    webhook_url: str | None = None
    status: str = Field(index=True, max_length=20)
    expires_at: datetime = Field(sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class OwnedNumberRow(SandboxModel, table=True):
    """A carrier number the master account bought, held by it or by ``sub_account_id``; gone from the
    table means back in the inventory. ``last_call_at`` starts the 15-day cool-off."""

    __tablename__ = "owned_numbers"

    number: str = Field(primary_key=True, max_length=16)
    id: str = Field(unique=True, max_length=40)
    country: str = Field(index=True, max_length=2)
    currency: str = Field(max_length=3)
    sub_account_id: str | None = Field(default=None, index=True, max_length=40)
    trunk_group_id: str | None = Field(default=None, max_length=100)
    last_call_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    purchased_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


#: the master account of the agent platform's rows made before there were several
DEFAULT_MASTER = "default"


class AgentSubAccountRow(SandboxModel, table=True):
    """A sub-account on the agent platform, of the master account ``master`` (a name of
    ``Settings.agent_accounts()``: whose key created it)."""

    __tablename__ = "agent_sub_accounts"

    id: str = Field(primary_key=True, max_length=40)
    master: str = Field(default=DEFAULT_MASTER, index=True, max_length=32)
    name: str = Field(index=True, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class AgentRow(SandboxModel, table=True):
    """An AI voice agent; ``sub_account_id`` ``None`` is the master account ``master``."""

    __tablename__ = "agents"

    id: str = Field(primary_key=True, max_length=40)
    master: str = Field(default=DEFAULT_MASTER, index=True, max_length=32)
    sub_account_id: str | None = Field(default=None, index=True, max_length=40)
    name: str = Field(max_length=100)
    description: str | None = None
    voice_mode: str = Field(max_length=40)
    model_tier: str | None = Field(default=None, max_length=40)
    system_prompt: str
    begin_message: str | None = None
    voice: str | None = Field(default=None, max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class AgentNumberRow(SandboxModel, table=True):
    """A number held by the agent platform in a sub-account (``None``: the master account ``master``)."""

    __tablename__ = "agent_numbers"

    id: str = Field(primary_key=True, max_length=40)
    master: str = Field(default=DEFAULT_MASTER, index=True, max_length=32)
    sub_account_id: str | None = Field(default=None, index=True, max_length=40)
    phone_number: str = Field(unique=True, max_length=16)
    country: str = Field(max_length=2)
    agent_id: str | None = Field(default=None, index=True, max_length=40)
    type: str | None = Field(default=None, max_length=20)
    external_id: str | None = Field(default=None, max_length=200)
    expires_at: datetime | None = Field(default=None, sa_type=DateTime(timezone=True))
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class IdempotentAnswer(SandboxModel, table=True):
    """The first answer to a creating POST, keyed by a hash of (credential, route, Idempotency-Key).

    ``status_code`` ``None`` means the first request is still running.
    """

    __tablename__ = "idempotent_answers"

    scope_hash: str = Field(primary_key=True, max_length=64)
    body_hash: str = Field(max_length=64)
    status_code: int | None = None
    content_type: str | None = Field(default=None, max_length=100)
    body: bytes = b""
    created_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class WebhookDelivery(SandboxModel, table=True):
    """One webhook event to deliver (the outbox): ``state`` is pending, delivered or failed."""

    __tablename__ = "webhook_deliveries"

    event_id: str = Field(primary_key=True, max_length=100)
    type: str = Field(max_length=40)
    url: str
    payload: str
    state: str = Field(default="pending", index=True, max_length=10)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))


class WebhookAttempt(SandboxModel, table=True):
    """One delivery attempt and how it went."""

    __tablename__ = "webhook_attempts"

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(index=True, max_length=100)
    type: str = Field(max_length=40)
    url: str
    attempt: int
    status_code: int | None = None
    error: str | None = None
    attempted_at: datetime = Field(default_factory=utcnow, sa_type=DateTime(timezone=True))
    #: from sending the request until the answer (or the error)
    duration_ms: int | None = None


def open_database(url: str) -> Engine:
    """The engine for ``url`` (parent folder of a SQLite file created), with the sandbox tables; a
    column added since the file was made is added to it (new columns are nullable)."""
    engine = make_engine(url)
    SandboxModel.metadata.create_all(engine)
    _add_new_columns(engine)
    return engine


def _add_new_columns(engine: Engine) -> None:
    tables = inspect(engine)
    with engine.begin() as connection:
        for table in SandboxModel.metadata.sorted_tables:
            present = {column["name"] for column in tables.get_columns(table.name)}
            for column in table.columns:
                if column.name not in present:
                    kind = column.type.compile(engine.dialect)
                    connection.execute(text(f"ALTER TABLE {table.name} ADD COLUMN {column.name} {kind}"))
