"""The provider sandbox never runs in production: ``python -m sandbox`` exits non-zero saying why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.app import PRODUCTION_REFUSED
from tests.security.keyrings import NEW, OLD

ROOT = Path(__file__).resolve().parents[2]
#: production settings that load, so the refusal is the sandbox's own and not the settings'
STRONG = {
    "ONBOARD_CARRIER_AUTH_ID": "MA_LIVE0000000042",
    "ONBOARD_CARRIER_AUTH_TOKEN": "live-carrier-master-token-0123",
    "ONBOARD_AGENTS_API_KEY": "sk_live_agents_0123456789",
    "ONBOARD_VAULT_KEYS": OLD,
    "ONBOARD_CODEC_KEYS": NEW,
    "ONBOARD_CALLBACK_SIGNING_KEYS": "callback-signing-key-of-32-bytes-or-more",
    "ONBOARD_API_KEY": "operator-key-0123456789abcdef0123456789",
    "ONBOARD_CARRIER_BASE_URL": "https://api.carrier.example/api/v1",
    "ONBOARD_AGENTS_BASE_URL": "https://api.agents.example/v1",
}


@pytest.mark.parametrize("secrets", [{}, STRONG], ids=["development-secrets", "production-secrets"])
def test_the_sandbox_refuses_to_start_in_production(tmp_path: Path, secrets: dict[str, str]) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ONBOARD_")},
        **secrets,
        "ONBOARD_ENVIRONMENT": "production",
        "ONBOARD_SANDBOX_DATABASE_URL": f"sqlite:///{tmp_path / 'sandbox.db'}",
        "PYTHONPATH": str(ROOT),
    }
    started = subprocess.run(
        [sys.executable, "-m", "sandbox", "--port", "0"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert started.returncode != 0
    assert PRODUCTION_REFUSED in started.stderr
    assert not (tmp_path / "sandbox.db").exists()
