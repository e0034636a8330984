"""Suspend, resume and offboard a customer over HTTP, against the real worker and the provider sandbox:
what each does at the providers, the 409s, 404s and 422s, repeats, the dry run's plan, the audit log and
the signed status callbacks."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from standardwebhooks import Webhook

from callbacks.signing import CallbackSigner
from store import api_keys
from tests.api.harness import RunningApi, onboarding_body
from tests.api.test_events import receiver
from tests.api.test_lifecycle import live_api, wait_for, worker
from tests.support.processes import Sandbox
from tests.support.receiver import WebhookReceiver

__all__ = ["live_api", "receiver", "worker"]

pytestmark = pytest.mark.slow


async def provider_side(sandbox: Sandbox, sub_account_id: str) -> dict[str, Any] | None:
    """What the sandbox holds for the carrier sub-account (None: it is gone)."""
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        found: dict[str, Any] | None = (
            (await http.get("/_sandbox/state")).json()["by_sub_account"].get(sub_account_id)
        )
    return found


async def completed(client: httpx.AsyncClient, **changes: Any) -> dict[str, Any]:
    """A customer onboarded (personal use: no KYC), its document once ``completed``."""
    body = onboarding_body(f"ops-{uuid.uuid4().hex[:8]}", kyc_mode="personal_use", **changes)
    started = await client.post("/v1/onboardings", json=body)
    assert started.status_code == 202, started.text
    document: dict[str, Any] = await wait_for(client, started.json()["id"], {"completed", "failed"})
    assert document["status"] == "completed", document
    return document


async def test_suspend_resume_offboard_at_the_providers_with_audit_and_callbacks(
    live_api: RunningApi, worker: None, sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    async with live_api.async_client() as client:
        customer = await completed(
            client,
            numbers={"country": "IN", "count": 1, "provider": "agent_platform"},
            callback_url=receiver.url,
        )
        cid, sub = customer["id"], customer["sub_account_id"]
        side = await provider_side(sandbox, sub)
        assert side is not None and side["enabled"] is True and side["agent_numbers_attached"] == 1

        suspend = {"reason": "non_payment", "note": "invoice 42 unpaid"}
        answered = await client.post(f"/v1/onboardings/{cid}/suspend", json=suspend)
        assert answered.status_code == 202, answered.text
        assert answered.json()["status"] == "suspending"
        suspended = await wait_for(client, cid, {"suspended"})
        assert suspended["lifecycle"]["suspension_reason"] == "non_payment"
        assert suspended["next_action"]["actor"] == "reseller"
        side = await provider_side(sandbox, sub)
        assert side is not None and side["enabled"] is False and side["agent_numbers_attached"] == 0
        assert side["numbers"] == 1 and side["agents"] == 1  # kept

        again = await client.post(f"/v1/onboardings/{cid}/suspend", json=suspend)
        assert again.status_code == 200 and again.json()["status"] == "suspended"
        other = await client.post(f"/v1/onboardings/{cid}/suspend", json={"reason": "abuse"})
        assert other.status_code == 409 and "already suspended" in other.json()["error"]["message"]

        resumed = await client.post(f"/v1/onboardings/{cid}/resume")
        assert resumed.status_code == 202, resumed.text
        active = await wait_for(client, cid, {"active"})
        assert active["lifecycle"]["suspension_reason"] is None
        side = await provider_side(sandbox, sub)
        assert side is not None and side["enabled"] is True and side["agent_numbers_attached"] == 1
        assert (await client.post(f"/v1/onboardings/{cid}/resume")).status_code == 200  # a repeat

        plan = await client.post(
            f"/v1/onboardings/{cid}/offboard", json={"numbers": "release", "dry_run": True}
        )
        assert plan.status_code == 200, plan.text
        steps = [(s["action"], s["resource"]) for s in plan.json()["steps"]]
        assert steps == [
            ("delete", "agent"),
            ("release", "agent_platform_number"),
            ("delete", "agent_platform_sub_account"),
            ("delete", "carrier_sub_account"),
        ]
        assert (await client.get(f"/v1/onboardings/{cid}")).json()["status"] == "active"  # nothing changed

        offboard = {"numbers": "release"}
        answered = await client.post(f"/v1/onboardings/{cid}/offboard", json=offboard)
        assert answered.status_code == 202, answered.text
        done = await wait_for(client, cid, {"offboarded"})
        assert done["numbers"] == [] and done["agent_id"] is None
        assert await provider_side(sandbox, sub) is None
        repeat = await client.post(f"/v1/onboardings/{cid}/offboard", json=offboard)
        assert repeat.status_code == 200 and repeat.json()["status"] == "offboarded"
        for path, body in (("resume", None), ("suspend", suspend), ("offboard", {"numbers": "keep"})):
            refused = await client.post(f"/v1/onboardings/{cid}/{path}", json=body)
            assert refused.status_code == 409, refused.text
            assert "offboarded" in refused.json()["error"]["message"]

        audit = (await client.get(f"/v1/onboardings/{cid}/audit")).json()["items"]
        assert [(e["seq"], e["operation"], e["actor"], e["reason"]) for e in audit] == [
            (1, "suspend", "operator", "non_payment"),
            (2, "resume", "operator", None),
            (3, "offboard", "operator", None),
        ]
        assert audit[0]["request"] == suspend and audit[2]["request"]["numbers"] == "release"

    [secret] = CallbackSigner(live_api.settings.callback_signing_keys).secrets_for("default")
    statuses = []
    for received in receiver.accepted():
        event = Webhook(secret).verify(received.body, received.headers)
        if event["data"]["id"] == cid:
            statuses.append(event["data"]["status"])
    lifecycle = statuses[statuses.index("completed") + 1 :]
    assert lifecycle == ["suspending", "suspended", "resuming", "active", "offboarding", "offboarded"]


async def test_refusals_name_the_reason_and_another_resellers_customer_is_not_found(
    live_api: RunningApi, worker: None
) -> None:
    other_key = api_keys.create(live_api.engine, f"other{uuid.uuid4().hex[:6]}")
    async with live_api.async_client() as client, live_api.async_client(other_key) as other:
        customer = await completed(client)
        cid = customer["id"]
        assert (
            await other.post(f"/v1/onboardings/{cid}/suspend", json={"reason": "abuse"})
        ).status_code == 404
        assert (await other.get(f"/v1/onboardings/{cid}/audit")).status_code == 404

        unknown = await client.post(
            f"/v1/onboardings/{cid}/suspend", json={"reason": "bored", "colour": "red"}
        )
        assert unknown.status_code == 422
        assert {f["field"] for f in unknown.json()["error"]["fields"]} == {"reason", "colour"}
        numbers = await client.post(f"/v1/onboardings/{cid}/offboard", json={"numbers": "sell"})
        assert numbers.status_code == 422 and numbers.json()["error"]["fields"][0]["field"] == "numbers"
        lax = await client.post(f"/v1/onboardings/{cid}/offboard", json={"numbers": "keep", "dry_run": 0})
        assert lax.status_code == 422 and lax.json()["error"]["fields"][0]["field"] == "dry_run"

        not_suspended = await client.post(f"/v1/onboardings/{cid}/resume")
        assert not_suspended.status_code == 409
        assert "not suspended" in not_suspended.json()["error"]["message"]

        # still in KYC: nothing to suspend yet
        waiting = await client.post(
            "/v1/onboardings", json=onboarding_body(f"ops-kyc-{uuid.uuid4().hex[:6]}")
        )
        in_kyc = await client.post(
            f"/v1/onboardings/{waiting.json()['id']}/suspend", json={"reason": "abuse"}
        )
        assert in_kyc.status_code == 409
        assert "still onboarding" in in_kyc.json()["error"]["message"]
        assert (await client.get(f"/v1/onboardings/{waiting.json()['id']}/audit")).json()["items"] == []


async def test_a_repeat_with_the_same_idempotency_key_gets_the_first_answer(
    live_api: RunningApi, worker: None
) -> None:
    async with live_api.async_client() as client:
        cid = (await completed(client))["id"]
        keyed = {"Idempotency-Key": f"suspend-{cid}"}
        body = {"reason": "kyc_past_due"}
        first = await client.post(f"/v1/onboardings/{cid}/suspend", json=body, headers=keyed)
        assert first.status_code == 202, first.text
        await wait_for(client, cid, {"suspended"})
        assert (await client.post(f"/v1/onboardings/{cid}/resume")).status_code == 202
        await wait_for(client, cid, {"active"})
        # the first answer was lost: the same key answers it again, and suspends nothing twice
        repeat = await client.post(f"/v1/onboardings/{cid}/suspend", json=body, headers=keyed)
        assert repeat.status_code == 202 and repeat.json()["status"] == "suspending"
        assert (await client.get(f"/v1/onboardings/{cid}")).json()["status"] == "active"
        operations = [
            e["operation"] for e in (await client.get(f"/v1/onboardings/{cid}/audit")).json()["items"]
        ]
        assert operations == ["suspend", "resume"]
