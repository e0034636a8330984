"""All configuration in one place: environment variables prefixed ``ONBOARD_`` (see ``.env.example``).

Development defaults let ``make run`` work on a fresh machine; secrets are ``SecretStr`` so they never
show up in reprs or logs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from workflows.models import OnboardingPolicy

#: Development-only defaults shared by the sandbox (which expects them) and the clients (which send them).
DEV_CARRIER_AUTH_ID = "MA_SANDBOX00000001"
DEV_CARRIER_AUTH_TOKEN = "dev-carrier-master-token"  # noqa: S105 - development default, refused in production
DEV_AGENTS_API_KEY = "sk_test_dev_agents_key"
DEV_VAULT_KEY = "dev1:ZGV2LXZhdWx0LWtleS0zMi1ieXRlcy1sb25nLW9rISE="
DEV_CODEC_KEY = "devc1:ZGV2LWNvZGVjLWtleS0zMi1ieXRlcy1sb25nLW9rISE="
DEV_CALLBACK_SIGNING_KEY = "dev-callback-signing-key"


class Settings(BaseSettings):
    """Process settings, read from ``ONBOARD_*`` environment variables and an optional ``.env`` file."""

    model_config = SettingsConfigDict(env_prefix="ONBOARD_", env_file=".env", extra="ignore")

    environment: Literal["development", "production"] = "development"
    log_level: str = "INFO"
    data_dir: str = ".data"

    # Temporal
    temporal_address: str = "127.0.0.1:7233"
    temporal_namespace: str = "default"
    task_queue: str = "onboarding"
    temporal_ui_port: int = 8233

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

    # Agent platform (AgentPhone-style) master account
    agents_base_url: str = "http://127.0.0.1:8900/v1"
    agents_api_key: SecretStr = SecretStr(DEV_AGENTS_API_KEY)

    # Provider HTTP behaviour
    provider_timeout_s: float = 10.0
    provider_connect_timeout_s: float = 3.0

    # Credentials vault: "kid:base64key" entries, comma separated; the first encrypts, all decrypt
    vault_keys: SecretStr = SecretStr(DEV_VAULT_KEY)

    # Temporal payload codec keys: "kid:base64key" entries, comma separated; the first encrypts
    codec_keys: SecretStr = SecretStr(DEV_CODEC_KEY)
    # the Temporal UI origin allowed (CORS) to call the codec endpoint; empty: derived from the UI port
    codec_cors_origin: str = ""

    # Prometheus metrics of the worker (0 disables); the API serves /metrics on its own port
    worker_metrics_port: int = 9464
    # provider calls (activities) per second on the whole task queue, across all workers (0: no cap)
    provider_calls_per_second: float = Field(default=0, ge=0)
    # provider calls one worker runs at once
    worker_max_concurrent_activities: int = Field(default=100, ge=1)

    # Reseller status callbacks: signing keys, comma separated; each reseller's secret is derived from
    # every key and callbacks carry a signature per key, so a key can be rotated without downtime
    callback_signing_keys: SecretStr = SecretStr(DEV_CALLBACK_SIGNING_KEY)
    callback_timeout_s: float = Field(default=10.0, gt=0, le=50)

    # Reseller API
    api_host: str = "127.0.0.1"
    api_port: int = 8000
    api_key: SecretStr | None = None
    public_base_url: str = "http://127.0.0.1:8000"
    max_body_bytes: int = 64 * 1024

    # Onboarding behaviour
    kyc_poll_interval_s: float = Field(default=4 * 3600, gt=0)
    kyc_rejected_grace_s: float = Field(default=30 * 86400, gt=0)
    max_kyc_sessions: int = Field(default=3, ge=1)
    step_timeout_s: float = Field(default=60, gt=0)

    def onboarding_policy(self) -> OnboardingPolicy:
        """The timing knobs a new onboarding is started with."""
        return OnboardingPolicy(
            kyc_poll_interval_s=self.kyc_poll_interval_s,
            kyc_rejected_grace_s=self.kyc_rejected_grace_s,
            max_kyc_sessions=self.max_kyc_sessions,
            step_timeout_s=self.step_timeout_s,
        )

    # Sandbox (provider emulator)
    sandbox_host: str = "127.0.0.1"
    sandbox_port: int = 8900
    sandbox_database_url: str = "sqlite:///.data/sandbox.db"
    sandbox_public_url: str = "http://127.0.0.1:8900"
    sandbox_unblock_delay_s: float = 0.0
    sandbox_agent_sub_account_limit: int = 25
    sandbox_webhook_max_attempts: int = 8
    sandbox_webhook_backoff_s: float = 1.0
    sandbox_honour_idempotency_keys: bool = False

    @field_validator("carrier_auth_token_previous", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _no_development_secrets_in_production(self) -> Self:
        if self.environment != "production":
            return self
        defaults = {
            "carrier_auth_token": DEV_CARRIER_AUTH_TOKEN,
            "agents_api_key": DEV_AGENTS_API_KEY,
            "vault_keys": DEV_VAULT_KEY,
            "codec_keys": DEV_CODEC_KEY,
            "callback_signing_keys": DEV_CALLBACK_SIGNING_KEY,
        }
        still_default = [
            name for name, dev in defaults.items() if getattr(self, name).get_secret_value() == dev
        ]
        if self.api_key is None:
            still_default.append("api_key")
        if still_default:
            names = ", ".join(f"ONBOARD_{name.upper()}" for name in still_default)
            raise ValueError(f"production needs real secrets; set {names}")
        return self

    @property
    def ui_origin(self) -> str:
        """The origin the Temporal UI is served from, allowed to call the codec endpoint."""
        return self.codec_cors_origin or f"http://127.0.0.1:{self.temporal_ui_port}"

    def kyc_webhook_keys(self) -> list[str]:
        """The master auth tokens a KYC webhook may be signed with: the current one, then the previous."""
        tokens = [self.carrier_auth_token, self.carrier_auth_token_previous]
        return [token.get_secret_value() for token in tokens if token is not None]


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
