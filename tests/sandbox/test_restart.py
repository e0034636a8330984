"""A restart of the sandbox loses nothing: resources, idempotent answers (with the emulation on), pending
webhook deliveries."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from config import DEV_CARRIER_AUTH_TOKEN
from providers.kyc_models import kyc_signature
from tests.sandbox.conftest import SUBS, carrier_client, start_session, unique
from tests.support.processes import free_port, run_sandbox
from tests.support.receiver import WebhookReceiver


def test_state_and_pending_webhooks_survive_a_restart(tmp_path: Path, receiver: WebhookReceiver) -> None:
    receiver.statuses = [503] * 1000
    port = free_port()
    body = {"name": unique("durable"), "email": "a@example.com", "kyc_mode": "customer_use"}
    headers = {"Idempotency-Key": "restart-key"}
    honour = {"sandbox_honour_idempotency_keys": "true"}
    with run_sandbox(tmp_path, port=port, **honour) as sandbox, carrier_client(sandbox) as carrier:
        created = carrier.post(SUBS, json=body, headers=headers)
        sub_id = created.json()["sub_account"]["auth_id"]
        session = start_session(carrier, sub_id, webhook_url=receiver.url)
        complete = f"{sandbox.url}/_sandbox/kyc-sessions/{session['session_id']}/complete"
        httpx.post(complete, json={"outcome": "approved"}).raise_for_status()
        deadline = time.monotonic() + 10
        while not receiver.received:
            assert time.monotonic() < deadline, "the first delivery never came"
            time.sleep(0.05)
        before = httpx.get(f"{sandbox.url}/_sandbox/state").json()
        process = sandbox.process
    log = (tmp_path / "sandbox.log").read_text()
    assert process.popen.returncode in (0, -15), f"not stopped within 15 s of SIGTERM:\n{log[-3000:]}"
    assert "Traceback" not in log

    receiver.statuses = []
    with run_sandbox(tmp_path, port=port, **honour) as sandbox, carrier_client(sandbox) as carrier:
        assert httpx.get(f"{sandbox.url}/_sandbox/state").json() == before
        replay = carrier.post(SUBS, json=body, headers=headers)
        assert replay.status_code == 201 and replay.content == created.content
        read = carrier.get(f"/sub-accounts/{sub_id}/kyc-sessions/{session['session_id']}").json()
        assert read["status"] == "kyc_completed"

        deadline = time.monotonic() + 10
        while len(receiver.accepted()) < 3:
            assert time.monotonic() < deadline, httpx.get(f"{sandbox.url}/_sandbox/webhooks").json()
            time.sleep(0.05)
        attempts = httpx.get(f"{sandbox.url}/_sandbox/webhooks").json()
        assert attempts[0]["status_code"] == 503
        accepted = receiver.accepted()
        assert {delivery.event["event"] for delivery in accepted} == {
            "kyc.initiated",
            "kyc.submitted",
            "kyc.completed",
        }
        for delivery in accepted:
            signature = kyc_signature(delivery.body.encode(), DEV_CARRIER_AUTH_TOKEN)
            assert delivery.headers["x-vobiz-signature"] == signature
