"""Settings: documented, secret-safe, and strict in production."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from config import (
    DEV_AGENTS_API_KEY,
    DEV_CALLBACK_SIGNING_KEY,
    DEV_CARRIER_AUTH_TOKEN,
    DEV_VAULT_KEY,
    Settings,
)
from config.quotas import Quota

ROOT = Path(__file__).resolve().parent.parent
_KEY_A = "k1:" + base64.b64encode(b"a" * 32).decode()
_KEY_B = "c1:" + base64.b64encode(b"b" * 32).decode()
#: a production configuration strong enough to load; each test weakens one thing
STRONG = {
    "environment": "production",
    "carrier_auth_id": "MA_LIVE0000000042",
    "carrier_auth_token": "live-carrier-master-token-0123",
    "agents_api_key": "sk_live_agents_0123456789",
    "vault_keys": _KEY_A,
    "codec_keys": _KEY_B,
    "callback_signing_keys": "callback-signing-key-of-32-bytes-or-more",
    "api_key": "operator-key-0123456789abcdef0123456789",
    "carrier_base_url": "https://api.carrier.example/api/v1",
    "agents_base_url": "https://api.agents.example/v1",
}


def _refusal(**changes: str) -> str:
    """The production refusal for STRONG with ``changes``; fails if the settings load."""
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=None, **{**STRONG, **changes})  # type: ignore[arg-type]
    return str(raised.value)


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


def test_production_starts_with_strong_secrets_stripped() -> None:
    padded = {name: f"  {value}\n" for name, value in STRONG.items() if "key" in name or "token" in name}
    settings = Settings(_env_file=None, **{**STRONG, **padded})  # type: ignore[arg-type]
    assert settings.environment == "production"
    assert settings.carrier_auth_token.get_secret_value() == STRONG["carrier_auth_token"]
    assert settings.api_key is not None and settings.api_key.get_secret_value() == STRONG["api_key"]


def test_production_with_env_example_as_is_names_every_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONBOARD_ENVIRONMENT", "production")
    with pytest.raises(ValidationError) as raised:
        Settings(_env_file=ROOT / ".env.example")
    message = str(raised.value)
    for name in (
        "CARRIER_AUTH_ID",
        "CARRIER_AUTH_TOKEN",
        "AGENTS_API_KEY",
        "VAULT_KEYS",
        "CODEC_KEYS",
        "CALLBACK_SIGNING_KEYS",
        "API_KEY",
        "CARRIER_BASE_URL",
        "AGENTS_BASE_URL",
    ):
        assert f"ONBOARD_{name}:" in message
    assert "change-me" not in message and "ONBOARD_CARRIER_AUTH_TOKEN_PREVIOUS" not in message


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("carrier_auth_token", DEV_CARRIER_AUTH_TOKEN + " "),
        ("carrier_auth_token_previous", f"x:{DEV_CARRIER_AUTH_TOKEN}"),
        ("vault_keys", f"{_KEY_A},k9:{DEV_VAULT_KEY.partition(':')[2]}"),
        ("codec_keys", DEV_VAULT_KEY),
        ("callback_signing_keys", f"{STRONG['callback_signing_keys']},whsec_{DEV_CALLBACK_SIGNING_KEY}"),
        ("callback_signing_keys", "whsec_" + base64.b64encode(DEV_CALLBACK_SIGNING_KEY.encode()).decode()),
        ("agents_api_key", "change-me"),
        ("vault_keys", "k1:change-me"),
        ("api_key", "  "),
        ("callback_signing_keys", f"{STRONG['callback_signing_keys']},"),
        ("api_key", "short-operator-key"),
        ("vault_keys", "k1:" + base64.b64encode(b"k" * 16).decode()),
        ("callback_signing_keys", "only-24-bytes-long-key!!"),
        ("carrier_auth_token", "live-carrier\r\nX-Injected: 1"),
        ("agents_accounts", "second:sk_live_second_0123456789,third:sk_test_dev_agents_key"),
        ("agents_accounts", "second:change-me"),
    ],
)
def test_production_refuses_weak_secrets_without_quoting_them(name: str, value: str) -> None:
    message = _refusal(**{name: value})
    assert f"ONBOARD_{name.upper()}:" in message
    assert message.count("ONBOARD_") == 1
    parts = [text.strip() for part in value.split(",") for text in (part, part.partition(":")[2])]
    assert not [part for part in parts if len(part) > 3 and part in message]


def test_one_refusal_names_every_offending_setting() -> None:
    message = _refusal(api_key="", codec_keys=DEV_VAULT_KEY, agents_base_url="http://api.agents.example/v1")
    for name in ("API_KEY", "CODEC_KEYS", "AGENTS_BASE_URL"):
        assert f"ONBOARD_{name}:" in message
    assert "ZGV2" not in message


@pytest.mark.parametrize(
    "url",
    [
        "http://api.carrier.example/api/v1",
        "https://127.0.0.1:8900/api/v1",
        "https://sandbox:8900/api/v1",
        "https://sandbox.internal.example/api/v1",
        "https://sandbox.internal.example:443/api/v1",
    ],
)
def test_production_refuses_provider_urls_that_are_not_https_or_the_sandbox(url: str) -> None:
    changes = {"sandbox_public_url": "https://sandbox.internal.example"}
    with pytest.raises(ValidationError, match="ONBOARD_CARRIER_BASE_URL"):
        Settings(_env_file=None, **{**STRONG, **changes, "carrier_base_url": url})  # type: ignore[arg-type]


def test_secrets_with_control_characters_are_refused_in_development_too() -> None:
    with pytest.raises(ValidationError, match="ONBOARD_AGENTS_API_KEY") as raised:
        Settings(_env_file=None, agents_api_key=SecretStr("sk_test\nX-Injected: 1"))
    assert "X-Injected" not in str(raised.value)
    padded = {"carrier_auth_token": SecretStr("carrier-token\n"), "api_key": SecretStr(" ")}
    settings = Settings(_env_file=None, **padded)  # type: ignore[arg-type]
    assert settings.carrier_auth_token.get_secret_value() == "carrier-token" and settings.api_key is None


def test_reseller_quotas_override_the_defaults_per_reseller(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONBOARD_QUOTA_AGENT_SLOTS", "50")
    monkeypatch.setenv(
        "ONBOARD_RESELLER_QUOTAS", '{"acme": {"in_flight": 10, "agent_slots": 0}, "globex": {}}'
    )
    settings = Settings(_env_file=None)
    assert settings.quota_for("acme") == Quota(in_flight=10, starts_per_minute=600, agent_slots=0)
    assert settings.quota_for("globex") == settings.quota_for("anyone-else")
    assert settings.quota_for("anyone-else") == Quota(in_flight=1000, starts_per_minute=600, agent_slots=50)


@pytest.mark.parametrize("empty", ["", "  ", "{}"])
def test_no_reseller_quotas_is_no_override(monkeypatch: pytest.MonkeyPatch, empty: str) -> None:
    monkeypatch.setenv("ONBOARD_RESELLER_QUOTAS", empty)
    assert Settings(_env_file=None).reseller_quotas == {}


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ('{"acme": {"burst": 5}}', "reseller_quotas.acme.burst"),
        ('{"acme": {"starts_per_minute": -1}}', "reseller_quotas.acme.starts_per_minute"),
        ('{"acme": {"in_flight": 0}}', "reseller_quotas.acme.in_flight"),
        ('{"acme": {"agent_slots": -1}}', "reseller_quotas.acme.agent_slots"),
        ('{"acme": 10}', "reseller_quotas.acme"),
        ("acme=10", "ONBOARD_RESELLER_QUOTAS must be a JSON object"),
    ],
)
def test_invalid_reseller_quotas_are_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, value: str, named: str
) -> None:
    monkeypatch.setenv("ONBOARD_RESELLER_QUOTAS", value)
    with pytest.raises(ValidationError, match=re.escape(named)):
        Settings(_env_file=None)


@pytest.mark.parametrize(("name", "value"), [("quota_in_flight", "0"), ("quota_agent_slots", "-1")])
def test_default_quotas_out_of_range_are_refused(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"ONBOARD_{name.upper()}", value)
    with pytest.raises(ValidationError, match=name):
        Settings(_env_file=None)


def test_kyc_reminders_are_hours_before_expiry_for_every_new_onboarding(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ONBOARD_KYC_REMINDER_HOURS", "72, 6")
    assert Settings(_env_file=None).onboarding_policy().kyc_reminders_before_s == [72 * 3600, 6 * 3600]
    monkeypatch.setenv("ONBOARD_KYC_REMINDER_HOURS", "")
    assert Settings(_env_file=None).onboarding_policy().kyc_reminders_before_s == []


@pytest.mark.parametrize("hours", ["-24", "0", "48,2160", "two days"])
def test_a_reminder_schedule_that_makes_no_sense_is_refused_naming_the_setting(
    monkeypatch: pytest.MonkeyPatch, hours: str
) -> None:
    monkeypatch.setenv("ONBOARD_KYC_REMINDER_HOURS", hours)
    with pytest.raises(ValidationError, match="ONBOARD_KYC_REMINDER_HOURS"):
        Settings(_env_file=None)


def test_agent_accounts_are_default_then_the_named_ones_in_order() -> None:
    settings = Settings(_env_file=None, agents_accounts=SecretStr(" second:sk_two , third:sk_three "))
    accounts = settings.agent_accounts()
    assert list(accounts) == ["default", "second", "third"]
    assert [key.get_secret_value() for key in accounts.values()] == [DEV_AGENTS_API_KEY, "sk_two", "sk_three"]
    assert list(Settings(_env_file=None).agent_accounts()) == ["default"]
    assert "sk_two" not in repr(settings)


@pytest.mark.parametrize(
    "value",
    ["second", "second:", "Second:sk_x", "default:sk_x", "second:sk_x,second:sk_y", "a b:sk_x"],
)
def test_agent_accounts_badly_written_are_refused_naming_the_entry_not_the_key(value: str) -> None:
    with pytest.raises(ValidationError, match="ONBOARD_AGENTS_ACCOUNTS entry") as raised:
        Settings(_env_file=None, agents_accounts=SecretStr(value))
    assert "sk_x" not in str(raised.value) and "sk_y" not in str(raised.value)


def test_sandbox_agent_limits_apply_per_account(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONBOARD_SANDBOX_AGENT_SUB_ACCOUNT_LIMITS", '{"second": 2}')
    settings = Settings(_env_file=None, sandbox_agent_sub_account_limit=5)
    assert (settings.sandbox_agent_limit("second"), settings.sandbox_agent_limit("default")) == (2, 5)
    monkeypatch.setenv("ONBOARD_SANDBOX_AGENT_SUB_ACCOUNT_LIMITS", "{nope")
    with pytest.raises(ValidationError, match="ONBOARD_SANDBOX_AGENT_SUB_ACCOUNT_LIMITS must be a JSON"):
        Settings(_env_file=None)
