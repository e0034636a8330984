"""The reseller routes against the real workflow: a worker running the onboarding activities against the
provider sandbox, whose signed webhooks reach the API over HTTP."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from tests.api.harness import RunningApi, address_of, live_settings, onboarding_body, run_api
from tests.support.processes import Sandbox
from worker.app import build_deps, serving
from worker.client import connect

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live_api(
    temporal: WorkflowEnvironment, sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    """An API on its own task queue, pointed at the sandbox (whose master token signs its webhooks)."""
    settings = live_settings(tmp_path_factory.mktemp("live"), address_of(temporal), sandbox.url)
    with run_api(settings) as running:
        yield running


@pytest.fixture(scope="module")
async def worker(live_api: RunningApi) -> AsyncIterator[None]:
    """The real worker (onboardings and callbacks), in this event loop, sharing the API's database."""
    client = await connect(live_api.settings)
    deps = build_deps(live_api.settings)
    async with serving(client, live_api.settings, deps):
        yield
    await deps.aclose()


async def wait_for(
    client: httpx.AsyncClient, onboarding_id: str, wanted: set[str], timeout_s: float = 60
) -> Any:
    """Poll ``GET /v1/onboardings/{id}`` (without blocking the worker) until a wanted status."""
    deadline = time.monotonic() + timeout_s
    document: dict[str, Any] = {}
    while time.monotonic() < deadline:
        response = await client.get(f"/v1/onboardings/{onboarding_id}")
        assert response.status_code == 200, response.text
        document = response.json()
        if document["status"] in wanted:
            return document
        await asyncio.sleep(0.2)
    raise TimeoutError(f"{onboarding_id} stuck in {document.get('status')}")


async def complete_session(sandbox: Sandbox, session_id: str, outcome: str) -> None:
    """The customer finishes the hosted KYC page (through the sandbox's test control)."""
    async with httpx.AsyncClient(base_url=sandbox.url) as client:
        response = await client.post(
            f"/_sandbox/kyc-sessions/{session_id}/complete", json={"outcome": outcome}
        )
    response.raise_for_status()


async def start_rejected(client: httpx.AsyncClient, sandbox: Sandbox, prefix: str) -> tuple[str, Any]:
    """Start an onboarding and reject its first KYC session; its id and the document while awaiting KYC."""
    started = await client.post("/v1/onboardings", json=onboarding_body(f"{prefix}-{uuid.uuid4().hex[:6]}"))
    onboarding_id: str = started.json()["id"]
    first = await wait_for(client, onboarding_id, {"awaiting_kyc"})
    await complete_session(sandbox, first["kyc"]["session_id"], "rejected")
    await wait_for(client, onboarding_id, {"kyc_rejected"})
    return onboarding_id, first


async def test_approved_onboarding_completes_and_is_then_read_from_the_database(
    live_api: RunningApi, worker: None, sandbox: Sandbox
) -> None:
    async with live_api.async_client() as client:
        started = await client.post(
            "/v1/onboardings", json=onboarding_body(f"live-ok-{uuid.uuid4().hex[:6]}")
        )
        assert started.status_code == 202, started.text
        onboarding_id = started.json()["id"]

        waiting = await wait_for(client, onboarding_id, {"awaiting_kyc"})
        assert waiting["kyc"]["status"] == "pending" and waiting["sub_account_id"]
        assert waiting["kyc"]["flow"] == "email" and waiting["kyc"]["url"] is None  # the provider emails it
        assert waiting["next_action"]["actor"] == "customer"
        assert waiting["next_action"]["due_by"] == waiting["kyc"]["expires_at"]
        on_customers = await client.get("/v1/onboardings", params={"actor": "customer"})
        assert onboarding_id in [item["id"] for item in on_customers.json()["items"]]
        early_restart = await client.post(f"/v1/onboardings/{onboarding_id}/kyc/restart")
        assert early_restart.status_code == 409
        assert "rejection" in early_restart.json()["error"]["message"]

        await complete_session(sandbox, waiting["kyc"]["session_id"], "approved")
        done = await wait_for(client, onboarding_id, {"completed", "failed"})
        assert done["status"] == "completed", done
        assert len(done["numbers"]) == 2 and done["agent_id"] and done["error"] is None

        listed = await client.get("/v1/onboardings", params={"status": "completed"})
        assert onboarding_id in [item["id"] for item in listed.json()["items"]]
        on_customers = await client.get("/v1/onboardings", params={"actor": "customer"})
        assert onboarding_id not in [item["id"] for item in on_customers.json()["items"]]
        done_and_waiting = await client.get(
            "/v1/onboardings", params={"actor": "customer", "status": "completed"}
        )
        assert done_and_waiting.json()["items"] == []
        assert (await client.post(f"/v1/onboardings/{onboarding_id}/cancel")).status_code == 409
        assert (await client.post(f"/v1/onboardings/{onboarding_id}/kyc/restart")).status_code == 409


async def test_rejected_onboarding_restarts_kyc_once_and_can_then_be_cancelled(
    live_api: RunningApi, worker: None, sandbox: Sandbox
) -> None:
    async with live_api.async_client() as client:
        onboarding_id, first = await start_rejected(client, sandbox, "live-rej")

        restart = f"/v1/onboardings/{onboarding_id}/kyc/restart"
        keyed = {"Idempotency-Key": "restart-after-new-id"}
        restarted = await client.post(restart, json={"reason": "new ID"}, headers=keyed)
        assert restarted.status_code == 202, restarted.text
        document = restarted.json()
        assert document["kyc"]["sessions_started"] == 2
        assert document["kyc"]["session_id"] != first["kyc"]["session_id"]
        # the answer was lost: the same key gets the same session, once it has started too
        repeated = await client.post(restart, json={"reason": "new ID"}, headers=keyed)
        assert repeated.status_code == 202, repeated.text
        assert repeated.json()["kyc"]["session_id"] == document["kyc"]["session_id"]
        assert repeated.json()["kyc"]["sessions_started"] == 2
        again = await client.post(restart)
        assert again.status_code == 409

        cancelled = await client.post(f"/v1/onboardings/{onboarding_id}/cancel")
        assert cancelled.status_code == 202
        done = await wait_for(client, onboarding_id, {"cancelled", "failed"})
        assert done["status"] == "cancelled", done


async def test_a_restart_cut_short_by_a_cancel_answers_409_with_the_reason(
    live_api: RunningApi, worker: None, sandbox: Sandbox
) -> None:
    async with live_api.async_client() as client, httpx.AsyncClient(base_url=sandbox.url) as control:
        onboarding_id, _ = await start_rejected(client, sandbox, "live-cut")

        slow = {"latency_ms": 3000, "routes": ["/api/v1/sub-accounts"]}
        (await control.put("/_sandbox/faults", json=slow)).raise_for_status()
        try:
            restart = asyncio.ensure_future(client.post(f"/v1/onboardings/{onboarding_id}/kyc/restart"))
            await wait_for(client, onboarding_id, {"starting_kyc"})
            assert (await client.post(f"/v1/onboardings/{onboarding_id}/cancel")).status_code == 202
            refused = await restart
        finally:
            (await control.delete("/_sandbox/faults")).raise_for_status()

        assert refused.status_code == 409, refused.text
        assert "before a new KYC session started" in refused.json()["error"]["message"]
        assert (await wait_for(client, onboarding_id, {"cancelled", "failed"}))["status"] == "cancelled"
