"""``onboard sandbox approve|reject|expire ID`` against the sandbox's KYC test controls."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import cli.sandbox
from cli.main import app
from tests.sandbox.conftest import carrier_client, create_customer, start_session
from tests.support.processes import Sandbox


def awaiting(session_id: str) -> Any:
    """What the API would answer for an onboarding waiting on ``session_id``."""

    def call(*_args: Any, **_kwargs: Any) -> httpx.Response:
        document = {"status": "awaiting_kyc", "kyc": {"session_id": session_id}}
        return httpx.Response(200, json=document)

    return call


@pytest.mark.parametrize(
    ("command", "status", "overall"),
    [
        ("approve", "kyc_completed", "verified"),
        ("reject", "kyc_completed", "failed"),
        ("expire", "expired", "not_started"),
    ],
)
def test_the_commands_drive_the_session_through_the_controls(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch, command: str, status: str, overall: str
) -> None:
    with carrier_client(sandbox) as carrier:
        sub_auth_id = create_customer(carrier)["auth_id"]
        session_id = start_session(carrier, sub_auth_id)["session_id"]
        monkeypatch.setattr(cli.sandbox, "call", awaiting(session_id))

        result = CliRunner().invoke(app, ["sandbox", command, "onboarding-x", "--sandbox-url", sandbox.url])

        assert result.exit_code == 0, result.output
        assert session_id in result.output
        assert (
            carrier.get(f"/sub-accounts/{sub_auth_id}/kyc-sessions/{session_id}").json()["status"] == status
        )
        assert carrier.get(f"/sub-accounts/{sub_auth_id}/kyc/status").json()["overall_status"] == overall
        again = CliRunner().invoke(app, ["sandbox", command, "onboarding-x", "--sandbox-url", sandbox.url])
        assert again.exit_code == 1 and "409" in again.output
