"""The whole product as a reseller and a customer use it: real Temporal, worker, API and sandbox."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.stack import API_KEY, Stack, onboarding_body

pytestmark = pytest.mark.slow


def test_customer_approves_on_hosted_page_and_gets_numbers_and_an_agent(stack: Stack) -> None:
    with stack.api() as api:
        started = api.post("/v1/onboardings", json=onboarding_body("e2e-approve"))
        assert started.status_code == 202, started.text
        onboarding_id = started.json()["id"]

        waiting = stack.wait_for_status(api, onboarding_id, {"awaiting_kyc"})
        assert waiting["sub_account_id"] and waiting["kyc"]["url"] is None  # the email flow: no link here

        pressed = stack.approve_on_hosted_page(waiting["kyc"]["session_id"])
        assert pressed.status_code == 200

        done = stack.wait_for_status(api, onboarding_id, {"completed", "failed"})
        assert done["status"] == "completed", done
        assert len(done["numbers"]) == 2 and done["agent_id"] and done["error"] is None

        again = api.post("/v1/onboardings", json=onboarding_body("e2e-approve"))
        assert again.status_code == 200 and again.json()["id"] == onboarding_id

    state = stack.sandbox_state()
    mine = state["by_sub_account"][done["sub_account_id"]]
    assert mine["numbers"] == 2
    assert mine["agents"] == 1
    assert mine["agent_sub_accounts"] == 1
    assert mine["kyc_status"] == "verified"


def test_cancel_while_awaiting_kyc_leaves_nothing_behind(stack: Stack) -> None:
    with stack.api() as api:
        onboarding_id = api.post("/v1/onboardings", json=onboarding_body("e2e-cancel")).json()["id"]
        waiting = stack.wait_for_status(api, onboarding_id, {"awaiting_kyc"})
        assert api.post(f"/v1/onboardings/{onboarding_id}/cancel").status_code == 202
        done = stack.wait_for_status(api, onboarding_id, {"cancelled", "failed"})
        assert done["status"] == "cancelled", done
    assert waiting["sub_account_id"] not in stack.sandbox_state()["by_sub_account"]


def test_onboard_status_shows_each_step(stack: Stack) -> None:
    with stack.api() as api:
        onboarding_id = api.post("/v1/onboardings", json=onboarding_body("e2e-cli", count=1)).json()["id"]
        stack.wait_for_status(api, onboarding_id, {"awaiting_kyc"})
    env = {**os.environ, "ONBOARD_API_URL": stack.api_url, "ONBOARD_API_KEY": API_KEY}
    onboard = str(Path(sys.executable).parent / "onboard")
    shown = subprocess.run(
        [onboard, "status", onboarding_id], env=env, capture_output=True, text=True, check=False
    )
    assert shown.returncode == 0, shown.stderr
    assert "awaiting_kyc" in shown.stdout and "e2e-cli" in shown.stdout


def test_a_completed_customer_is_suspended_resumed_and_offboarded_leaving_nothing(stack: Stack) -> None:
    with stack.api() as api:
        started = api.post("/v1/onboardings", json=onboarding_body("e2e-lifecycle", kyc_mode="personal_use"))
        onboarding_id = started.json()["id"]
        done = stack.wait_for_status(api, onboarding_id, {"completed", "failed"})
        assert done["status"] == "completed", done
        sub = done["sub_account_id"]

        suspended = api.post(f"/v1/onboardings/{onboarding_id}/suspend", json={"reason": "non_payment"})
        assert suspended.status_code == 202, suspended.text
        stack.wait_for_status(api, onboarding_id, {"suspended"})
        assert stack.sandbox_state()["by_sub_account"][sub]["enabled"] is False

        assert api.post(f"/v1/onboardings/{onboarding_id}/resume").status_code == 202
        stack.wait_for_status(api, onboarding_id, {"active"})
        assert stack.sandbox_state()["by_sub_account"][sub]["enabled"] is True

        offboard = api.post(f"/v1/onboardings/{onboarding_id}/offboard", json={"numbers": "release"})
        assert offboard.status_code == 202, offboard.text
        ended = stack.wait_for_status(api, onboarding_id, {"offboarded"})
        assert ended["links"]["customer_temporal_ui"].endswith("/workflows/customer-e2e-lifecycle")
        audit = api.get(f"/v1/onboardings/{onboarding_id}/audit").json()["items"]
        assert [entry["operation"] for entry in audit] == ["suspend", "resume", "offboard"]

    assert sub not in stack.sandbox_state()["by_sub_account"]
