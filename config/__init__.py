"""All configuration in one place: environment variables prefixed ``ONBOARD_`` (see ``.env.example``).

Development defaults let ``make run`` work on a fresh machine; secrets are ``SecretStr`` so they never
show up in reprs or logs.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from functools import lru_cache
from typing import Annotated, Literal, Self
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from config.quotas import AgentSlots, InFlight, Quota, QuotaOverride, StartsPerMinute
from domain.onboarding import MAX_KYC_SESSION_DAYS, OnboardingPolicy

#: Development-only defaults shared by the sandbox (which expects them) and the clients (which send them).
DEV_CARRIER_AUTH_ID = "MA_SANDBOX00000001"
DEV_CARRIER_AUTH_TOKEN = "dev-carrier-master-token"  # noqa: S105 - development default, refused in production
DEV_AGENTS_API_KEY = "sk_test_dev_agents_key"
DEV_VAULT_KEY = "dev1:ZGV2LXZhdWx0LWtleS0zMi1ieXRlcy1sb25nLW9rISE="
DEV_CODEC_KEY = "devc1:ZGV2LWNvZGVjLWtleS0zMi1ieXRlcy1sb25nLW9rISE="
DEV_CALLBACK_SIGNING_KEY = "dev-callback-signing-key"
_DEV_SECRETS = (
    DEV_CARRIER_AUTH_TOKEN,
    DEV_AGENTS_API_KEY,
    DEV_VAULT_KEY,
    DEV_CODEC_KEY,
    DEV_CALLBACK_SIGNING_KEY,
)
#: the placeholders ``.env.example`` ships for secrets (``k1:change-me``, ``c1:change-me``, ...)
EXAMPLE_PLACEHOLDERS = ("change-me",)
#: minimum strength in production: characters of the API key, bytes of each key-ring entry
MIN_API_KEY_CHARS = 32
MIN_KEY_BYTES = 32
#: single-value secrets, and key rings (comma separated) whose entries are checked one by one
_SECRETS = ("carrier_auth_token", "carrier_auth_token_previous", "agents_api_key", "api_key")
_KEY_RINGS = ("vault_keys", "codec_keys", "callback_signing_keys")
#: secrets written ``name:secret`` entries, comma separated, each checked like a single secret
_NAMED_SECRETS = ("agents_accounts",)
#: secrets that may be left empty, even in production
_OPTIONAL_SECRETS = ("carrier_auth_token_previous", "agents_accounts")
#: the agent-platform master account of ``ONBOARD_AGENTS_API_KEY``
DEFAULT_AGENT_ACCOUNT = "default"
#: how an agent-platform master account is named (``ONBOARD_AGENTS_ACCOUNTS``): a short lowercase slug
AGENT_ACCOUNT_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")
#: key rings written ``kid:base64key``; callback signing keys are used as written
_BASE64_RINGS = ("vault_keys", "codec_keys")


def _forms(entry: str) -> set[bytes]:
    """``entry`` as written, without a ``kid:`` or ``whsec_`` prefix, and base64-decoded where it decodes:
    what a development key or placeholder is recognised by, however it is spelled."""
    texts = {entry.strip()}
    texts |= {text.partition(":")[2] for text in texts if ":" in text}
    texts |= {text[len("whsec_") :] for text in texts if text.lower().startswith("whsec_")}
    forms = {text.encode() for text in texts if text}
    for text in texts:
        decoded = _base64(text)
        if decoded:
            forms.add(decoded)
    return forms


def _base64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


_REFUSED_FORMS = set().union(*(_forms(value) for value in (*_DEV_SECRETS, *EXAMPLE_PLACEHOLDERS)))


def header_safe(value: str) -> bool:
    """Whether ``value`` may be sent as an HTTP header value: printable ASCII only (no CR, LF, NUL...)."""
    return all(" " <= char <= "~" for char in value)


def _origin(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    return (parts.hostname or "", parts.port or {"http": 80, "https": 443}.get(parts.scheme))


class Settings(BaseSettings):
    """Process settings, read from ``ONBOARD_*`` environment variables and an optional ``.env`` file."""

    model_config = SettingsConfigDict(
        env_prefix="ONBOARD_", env_file=".env", extra="ignore", hide_input_in_errors=True
    )

    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    data_dir: str = ".data"

    # Temporal
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "onboarding"
    temporal_ui_port: int = 8233
    # the Temporal UI as operators reach it (links in status documents and `onboard dev`); empty: the
    # embedded stack's UI (http://127.0.0.1:<temporal_ui_port>) in development, no links in production
    temporal_ui_url: str = ""

    # Database (SQLite file by default, PostgreSQL in docker-compose)
    database_url: str = "sqlite:///.data/onboarding.db"

    # Carrier (Vobiz-style) master account
    carrier_base_url: str = "http://127.0.0.1:8900/api/v1"
    carrier_auth_id: str = DEV_CARRIER_AUTH_ID
    carrier_auth_token: SecretStr = SecretStr(DEV_CARRIER_AUTH_TOKEN)
    # the master auth token before a rotation: KYC webhooks signed with it still verify (empty: none)
    carrier_auth_token_previous: SecretStr | None = None
    # the master account's SIP trunk group that carrier numbers are routed to (empty: not routed)
    carrier_trunk_group_id: str = ""

    # Agent platform (AgentPhone-style) master accounts: ``agents_api_key`` is the account named
    # ``default``; ``agents_accounts`` adds more as ``name:key`` entries, comma separated, tried in that
    # order after ``default`` when an onboarding takes a sub-account slot. Each holds at most
    # ``agents_sub_account_limit`` sub-accounts (the platform's published limit: 25)
    agents_base_url: str = "http://127.0.0.1:8900/v1"
    agents_api_key: SecretStr = SecretStr(DEV_AGENTS_API_KEY)
    agents_accounts: SecretStr | None = None
    agents_sub_account_limit: int = Field(default=25, ge=1)
    # an onboarding waiting for an agent-platform slot looks again this often, should no freed slot or
    # added account wake it sooner
    agent_capacity_recheck_s: float = Field(default=900, gt=0)

    def agent_accounts(self) -> dict[str, SecretStr]:
        """The agent-platform master accounts by name, in the order slots are taken from them."""
        accounts = {DEFAULT_AGENT_ACCOUNT: self.agents_api_key}
        for name, key in _named_entries(self.agents_accounts):
            accounts[name] = SecretStr(key)
        return accounts

    # Provider HTTP behaviour
    provider_timeout_s: float = 10.0
    provider_connect_timeout_s: float = 3.0

    # Credentials vault: "kid:base64key" entries, comma separated; the first encrypts, all decrypt
    vault_keys: SecretStr = SecretStr(DEV_VAULT_KEY)

    # Temporal payload codec keys: "kid:base64key" entries, comma separated; the first encrypts
    codec_keys: SecretStr = SecretStr(DEV_CODEC_KEY)
    # the Temporal UI origin allowed (CORS) to call the codec endpoint; empty: derived from the UI port
    codec_cors_origin: str = ""

    # Prometheus metrics of the worker (0 disables); the API serves /metrics on its port (operator key in
    # production) and, unless 0, without a key on ops_port apart from the reseller port
    worker_metrics_port: int = 9464
    ops_port: int = Field(default=0, ge=0, le=65535)
    # provider calls (activities) per second on the whole task queue, across all workers (0: no cap)
    provider_calls_per_second: float = Field(default=0, ge=0)
    # provider calls one worker runs at once
    worker_max_concurrent_activities: int = Field(default=100, ge=1)

    # Reseller status callbacks: signing keys, comma separated; each reseller's secret is derived from
    # every key and callbacks carry a signature per key, so a key can be rotated without downtime
    callback_signing_keys: SecretStr = SecretStr(DEV_CALLBACK_SIGNING_KEY)
    # one delivery's whole time (connect, send, answer headers); the answer's body is never read past 4 KiB
    callback_timeout_s: float = Field(default=10.0, gt=0, le=50)
    # callbacks one worker delivers at once, on their own task queue (``<task_queue>-callbacks``)
    callback_max_concurrent: int = Field(default=200, ge=1)

    # Reseller API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_key: SecretStr | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = 64 * 1024

    # Bulk onboarding (POST /v1/batches): the largest file and the most rows one batch may hold, the
    # onboardings a batch starts per second, and how many it started may still be worked on (not yet
    # waiting for KYC or over) before it starts more (both read by the worker: a restart applies a change
    # to running batches)
    batch_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1)
    batch_max_rows: int = Field(default=10_000, ge=1)
    batch_starts_per_second: float = Field(default=5.0, gt=0)
    batch_max_working: int = Field(default=50, ge=1)

    # Per-reseller quotas on new onboardings (store/quotas.py says what each counts), and overrides per
    # reseller: a JSON object {"reseller": {"in_flight": 10, "starts_per_minute": 5, "agent_slots": 20}}
    quota_in_flight: InFlight = 1000
    quota_starts_per_minute: StartsPerMinute = 600
    quota_agent_slots: AgentSlots = 0
    reseller_quotas: Annotated[dict[str, QuotaOverride], NoDecode] = {}  # pydantic copies it

    def quota_for(self, reseller: str) -> Quota:
        """The limits ``reseller``'s new onboardings are held to: its overrides, else the defaults."""
        default = Quota(
            in_flight=self.quota_in_flight,
            starts_per_minute=self.quota_starts_per_minute,
            agent_slots=self.quota_agent_slots,
        )
        override = self.reseller_quotas.get(reseller)
        return default if override is None else override.applied_to(default)

    # Onboarding behaviour
    kyc_poll_interval_s: float = Field(default=4 * 3600, gt=0)
    kyc_rejected_grace_s: float = Field(default=30 * 86400, gt=0)
    # a KYC webhook event the API relay could not settle (the provider undecided or unreachable, Temporal
    # unreachable) is tried again after this, doubling each time up to the second
    kyc_relay_retry_s: float = Field(default=2.0, gt=0)
    kyc_relay_max_retry_s: float = Field(default=300.0, gt=0)
    max_kyc_sessions: int = Field(default=3, ge=1)
    step_timeout_s: float = Field(default=60, gt=0)
    # a compensation step is retried this long; then the onboarding ends failed (cleanup_failed)
    cleanup_deadline_s: float = Field(default=86400, gt=0)
    # hours before a hosted KYC session expires at which the reseller is reminded (and, in the email
    # flow, the customer mailed a fresh link while unopened), comma separated; empty: no reminders
    kyc_reminder_hours: Annotated[list[float], NoDecode] = [48.0, 24.0]  # pydantic copies it

    def onboarding_policy(self) -> OnboardingPolicy:
        """The timing knobs a new onboarding is started with."""
        return OnboardingPolicy(
            kyc_poll_interval_s=self.kyc_poll_interval_s,
            kyc_rejected_grace_s=self.kyc_rejected_grace_s,
            max_kyc_sessions=self.max_kyc_sessions,
            step_timeout_s=self.step_timeout_s,
            cleanup_deadline_s=self.cleanup_deadline_s,
            kyc_reminders_before_s=[hours * 3600 for hours in self.kyc_reminder_hours],
            agent_capacity_recheck_s=self.agent_capacity_recheck_s,
        )

    # Sandbox (provider emulator)
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8900
    sandbox_database_url: str = "sqlite:///.data/sandbox.db"
    sandbox_public_url: str = "http://127.0.0.1:8900"
    sandbox_unblock_delay_s: float = 0.0
    # sub-accounts each sandbox master account may hold (the agent platform's 25), and per account
    # name overrides as a JSON object {"second": 2}; the sandbox serves every account of agent_accounts()
    sandbox_agent_sub_account_limit: int = Field(default=25, ge=0)
    sandbox_agent_sub_account_limits: Annotated[dict[str, int], NoDecode] = {}  # pydantic copies it
    sandbox_webhook_max_attempts: int = 8

    def sandbox_agent_limit(self, account: str) -> int:
        """How many sub-accounts the sandbox lets the agent-platform master account ``account`` hold."""
        return self.sandbox_agent_sub_account_limits.get(account, self.sandbox_agent_sub_account_limit)

    sandbox_webhook_backoff_s: float = 1.0
    sandbox_honour_idempotency_keys: bool = False

    @field_validator(*_SECRETS, *_KEY_RINGS, *_NAMED_SECRETS, mode="before")
    @classmethod
    def _stripped(cls, value: object, info: ValidationInfo) -> object:
        """Secrets lose surrounding whitespace; an empty optional one is unset."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if not isinstance(value, str):
            return value
        value = value.strip()
        optional = info.field_name is not None and cls.model_fields[info.field_name].default is None
        return None if value == "" and optional else value

    @field_validator("temporal_ui_url")
    @classmethod
    def _ui_url(cls, value: str) -> str:
        """Empty, or an absolute http(s) URL, kept without its trailing slash (paths are appended)."""
        value = value.strip()
        parts = urlsplit(value)
        if value and (parts.scheme not in ("http", "https") or not parts.hostname):
            raise ValueError("must be an absolute http(s) URL, e.g. https://temporal.example.com")
        return value.rstrip("/")

    @field_validator("reseller_quotas", "sandbox_agent_sub_account_limits", mode="before")
    @classmethod
    def _json_object(cls, value: object, info: ValidationInfo) -> object:
        """The environment gives a JSON object as text; empty text is no override."""
        if not isinstance(value, str):
            return value
        if not value.strip():
            return {}
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            example = _JSON_EXAMPLES.get(info.field_name or "", "{}")
            name = f"ONBOARD_{(info.field_name or '').upper()}"
            raise ValueError(f"{name} must be a JSON object: {example}") from None

    @field_validator("agents_accounts")
    @classmethod
    def _account_names(cls, value: SecretStr | None) -> SecretStr | None:
        """Entries are ``name:key``, each name a slug given once and not ``default`` (that is
        ``ONBOARD_AGENTS_API_KEY``); the message names the entry, never a key."""
        names: list[str] = []
        for position, entry in enumerate(_entries(value), start=1):
            name, colon, key = entry.partition(":")
            name = name.strip()
            if not colon or not key.strip():
                raise ValueError(f"ONBOARD_AGENTS_ACCOUNTS entry {position} must be name:key")
            if not AGENT_ACCOUNT_NAME.match(name) or name == DEFAULT_AGENT_ACCOUNT or name in names:
                raise ValueError(
                    f"ONBOARD_AGENTS_ACCOUNTS entry {position}: the name must be a lowercase slug of at most"
                    f" 32 characters, given once, and not {DEFAULT_AGENT_ACCOUNT!r}"
                )
            names.append(name)
        return value

    @field_validator("kyc_reminder_hours", mode="before")
    @classmethod
    def _hours_list(cls, value: object) -> object:
        """The environment gives ``48,24``; each must fall within the longest session a request may ask."""
        if isinstance(value, str):
            try:
                value = [float(part) for part in value.split(",") if part.strip()]
            except ValueError:
                raise ValueError("ONBOARD_KYC_REMINDER_HOURS must be numbers of hours, e.g. 48,24") from None
        if isinstance(value, list) and not all(0 < hours < MAX_KYC_SESSION_DAYS * 24 for hours in value):
            raise ValueError(
                f"ONBOARD_KYC_REMINDER_HOURS must be hours before expiry, above 0 and below "
                f"{MAX_KYC_SESSION_DAYS * 24} (the longest session)"
            )
        return value

    @model_validator(mode="after")
    def _safe_secrets(self) -> Self:
        """One refusal naming every weak setting (never a value): secrets must be header-safe everywhere;
        production also refuses missing, short, placeholder and development secrets, the sandbox's master
        account id, and provider URLs that are not https or point at the sandbox."""
        problems: dict[str, str] = {}
        production = self.environment == "production"
        for name in (*_SECRETS, *_KEY_RINGS, *_NAMED_SECRETS):
            secret: SecretStr | None = getattr(self, name)
            value = "" if secret is None else secret.get_secret_value()
            problem = _secret_problem(name, value, production=production)
            if problem is not None:
                problems[name] = problem
        if production:
            if self.carrier_auth_id.strip() in ("", DEV_CARRIER_AUTH_ID):
                problems["carrier_auth_id"] = "missing or the sandbox's master account"
            for name in ("carrier_base_url", "agents_base_url"):
                problem = self._provider_url_problem(getattr(self, name))
                if problem is not None:
                    problems[name] = problem
        if problems:
            listed = "; ".join(f"ONBOARD_{name.upper()}: {why}" for name, why in problems.items())
            raise ValueError(f"unsafe settings for {self.environment}: {listed}")
        return self

    def _provider_url_problem(self, url: str) -> str | None:
        if urlsplit(url).scheme != "https":
            return "must be an https URL"
        sandbox = {_origin(self.sandbox_public_url), (self.sandbox_host, self.sandbox_port)}
        origin = _origin(url)
        if origin[0] == "sandbox" or origin in sandbox:  # "sandbox": its docker-compose service
            return "must not be the provider sandbox"
        return None

    @property
    def embedded_ui_url(self) -> str:
        """The Temporal UI of the embedded stack (``onboard dev``)."""
        return f"http://127.0.0.1:{self.temporal_ui_port}"

    @property
    def temporal_ui(self) -> str | None:
        """The Temporal UI's base URL as operators reach it: ``temporal_ui_url``, else the embedded
        stack's in development; None (no links) in production when it is not set."""
        if self.temporal_ui_url:
            return self.temporal_ui_url
        return None if self.environment == "production" else self.embedded_ui_url

    @property
    def ui_origin(self) -> str:
        """The origin the Temporal UI is served from, allowed to call the codec endpoint."""
        return self.codec_cors_origin or self.embedded_ui_url

    def kyc_webhook_keys(self) -> list[str]:
        """The master auth tokens a KYC webhook may be signed with: the current one, then the previous."""
        tokens = [self.carrier_auth_token, self.carrier_auth_token_previous]
        return [token.get_secret_value() for token in tokens if token is not None]


def _secret_problem(name: str, value: str, *, production: bool) -> str | None:
    """Why the secret setting ``name`` holding ``value`` is refused, or None; never quotes the value."""
    if not header_safe(value):
        return "must be printable ASCII (no control characters or line breaks)"
    optional = name in _OPTIONAL_SECRETS
    if not production or (optional and not value):
        return None
    entries = [value]
    if name in _KEY_RINGS:
        entries = [entry.strip() for entry in value.split(",")]
    if name in _NAMED_SECRETS:
        entries = [entry.partition(":")[2].strip() for entry in value.split(",")]
    if not value or not all(entries):
        return "missing (empty)"
    if any(_forms(entry) & _REFUSED_FORMS for entry in entries):
        return "is a development key or an .env.example placeholder"
    if name == "api_key" and len(value) < MIN_API_KEY_CHARS:
        return f"must be at least {MIN_API_KEY_CHARS} characters"
    if name in _KEY_RINGS and any(len(_key_bytes(name, entry)) < MIN_KEY_BYTES for entry in entries):
        return f"each key must be at least {MIN_KEY_BYTES} bytes"
    return None


_JSON_EXAMPLES = {
    "reseller_quotas": '{"reseller": {"in_flight": 10}}',
    "sandbox_agent_sub_account_limits": '{"second": 2}',
}


def _entries(value: SecretStr | None) -> list[str]:
    """The comma-separated entries of a secret setting (none when unset)."""
    text = "" if value is None else value.get_secret_value()
    return [entry.strip() for entry in text.split(",") if entry.strip()]


def _named_entries(value: SecretStr | None) -> list[tuple[str, str]]:
    """``(name, secret)`` of each ``name:secret`` entry."""
    return [(name.strip(), key.strip()) for name, _, key in (e.partition(":") for e in _entries(value))]


def _key_bytes(ring: str, entry: str) -> bytes:
    """The key material of one key-ring entry, as the ring is parsed where it is used."""
    if ring not in _BASE64_RINGS:
        return entry.encode()
    return _base64(entry.partition(":")[2].strip()) or b""


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
