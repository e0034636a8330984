"""Settings: documented, secret-safe, and strict in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from config import DEV_CARRIER_AUTH_TOKEN, Settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_setting_is_documented_in_env_example() -> None:
    documented = ROOT.joinpath(".env.example").read_text()
    missing = [name for name in Settings.model_fields if f"ONBOARD_{name.upper()}=" not in documented]
    assert missing == []


def test_secrets_never_show_in_repr() -> None:
    text = repr(Settings()) + str(Settings().model_dump())
    assert DEV_CARRIER_AUTH_TOKEN not in text
    rotating = Settings(carrier_auth_token_previous=SecretStr("old-master-token"))
    assert "old-master-token" not in repr(rotating) + str(rotating.model_dump())


def test_production_refuses_development_secrets(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONBOARD_ENVIRONMENT", "production")
    with pytest.raises(ValidationError) as raised:
        Settings()
    message = str(raised.value)
    assert "ONBOARD_CARRIER_AUTH_TOKEN" in message and "ONBOARD_API_KEY" in message
    assert "ONBOARD_CALLBACK_SIGNING_KEYS" in message
    assert DEV_CARRIER_AUTH_TOKEN not in message


def test_production_starts_with_real_secrets() -> None:
    settings = Settings(
        environment="production",
        carrier_auth_token=SecretStr("real-token"),
        agents_api_key=SecretStr("sk_live_real"),
        vault_keys=SecretStr("k1:cmVhbC1rZXktMzItYnl0ZXMtbG9uZy1mb3ItdGVzdHM="),
        codec_keys=SecretStr("c1:cmVhbC1jb2RlYy1rZXktMzItYnl0ZXMtZm9yLXRlc3Q="),
        callback_signing_keys=SecretStr("real-callback-signing-key"),
        api_key=SecretStr("real-api-key"),
    )
    assert settings.environment == "production"
