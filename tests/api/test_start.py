"""Starting an onboarding or a batch: idempotent per reference, visible in Temporal without personal data,
and safe to retry when Temporal is down."""

from __future__ import annotations

import json
from pathlib import Path

from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from domain.onboarding import OnboardingInput, OnboardingPolicy
from domain.search_attributes import ONBOARDING_REFERENCE, ONBOARDING_STATUS
from store.onboardings import find
from tests.api.harness import (
    IDLE_QUEUE,
    RunningApi,
    address_of,
    api_settings,
    onboarding_body,
    run_api,
    start_temporal,
)
from tests.support.processes import free_port


async def test_same_request_is_the_same_onboarding_and_another_body_conflicts(
    api: RunningApi, temporal_client: Client
) -> None:
    async with api.async_client() as client:
        first = await client.post("/v1/onboardings", json=onboarding_body("idem-1"))
        again = await client.post("/v1/onboardings", json=onboarding_body("idem-1"))
        other = await client.post("/v1/onboardings", json=onboarding_body("idem-1", business_name="Other"))

    assert first.status_code == 202, first.text
    document = first.json()
    assert document["id"] == "onboarding-idem-1"
    assert document["reference"] == "idem-1"
    assert document["status"] == "creating_sub_account"
    assert document["kyc"]["status"] == "not_started" and document["error"] is None
    assert again.status_code == 200 and again.json()["id"] == document["id"]
    assert other.status_code == 409
    assert other.json()["error"]["type"] == "conflict"
    assert other.json()["error"]["fields"][0]["field"] == "reference"

    description = await temporal_client.get_workflow_handle(document["id"]).describe()
    assert description.status == WorkflowExecutionStatus.RUNNING
    assert description.workflow_type == "CustomerOnboarding"
    assert description.task_queue == IDLE_QUEUE
    assert await description.static_summary() == "Onboarding idem-1"
    assert description.typed_search_attributes[ONBOARDING_REFERENCE] == "idem-1"
    assert description.typed_search_attributes[ONBOARDING_STATUS] == "creating_sub_account"
    runs = [w async for w in temporal_client.list_workflows(f"WorkflowId = '{document['id']}'")]
    assert len(runs) == 1


async def test_start_answers_503_while_temporal_is_down_and_a_retry_completes_it(tmp_path: Path) -> None:
    port = free_port()
    settings = api_settings(tmp_path, f"127.0.0.1:{port}")
    with run_api(settings) as api:
        async with api.async_client() as client:
            health = await client.get("/healthz")
            assert health.status_code == 503
            answer = {"status": "degraded", "temporal": False, "database": True, "kyc_relay": True}
            assert health.json() == answer

            down = await client.post("/v1/onboardings", json=onboarding_body("down-1"))
            assert down.status_code == 503
            assert down.json()["error"]["type"] == "unavailable"
            assert find(api.engine, "default", "down-1") is not None  # the claim is kept

            env = await start_temporal(port)
            try:
                retried = await client.post("/v1/onboardings", json=onboarding_body("down-1"))
                assert retried.status_code == 200, retried.text
                assert retried.json()["id"] == "onboarding-down-1"
                description = await env.client.get_workflow_handle("onboarding-down-1").describe()
                assert description.status == WorkflowExecutionStatus.RUNNING
                assert (await client.get("/healthz")).json()["status"] == "ok"
            finally:
                await env.shutdown()


async def test_the_workflow_starts_with_the_configured_onboarding_policy(
    temporal: WorkflowEnvironment, temporal_client: Client, tmp_path: Path
) -> None:
    settings = api_settings(
        tmp_path,
        address_of(temporal),
        kyc_poll_interval_s=900,
        kyc_rejected_grace_s=86400,
        max_kyc_sessions=2,
        step_timeout_s=15,
    )
    with run_api(settings) as api:
        async with api.async_client() as client:
            started = await client.post("/v1/onboardings", json=onboarding_body("policy-1"))
    assert started.status_code == 202, started.text

    history = await temporal_client.get_workflow_handle(started.json()["id"]).fetch_history()
    payloads = history.events[0].workflow_execution_started_event_attributes.input.payloads
    [arg] = await temporal_client.data_converter.decode(payloads, [OnboardingInput])
    assert arg.policy == OnboardingPolicy(
        kyc_poll_interval_s=900, kyc_rejected_grace_s=86400, max_kyc_sessions=2, step_timeout_s=15
    )


async def test_healthz_reports_ok_when_both_answer(api: RunningApi) -> None:
    async with api.async_client(key=None) as client:
        response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "temporal": True, "database": True, "kyc_relay": True}


async def test_a_batch_sent_while_temporal_is_down_says_so_until_it_is_sent_again(tmp_path: Path) -> None:
    port = free_port()
    batch = "\n".join(json.dumps(onboarding_body(f"down-b{i}")) for i in range(2))
    json_lines = {"content-type": "application/x-ndjson"}
    with run_api(api_settings(tmp_path, f"127.0.0.1:{port}")) as api:
        async with api.async_client() as client:
            down = await client.post("/v1/batches?reference=down", content=batch, headers=json_lines)
            assert down.status_code == 503 and down.json()["error"]["type"] == "unavailable"
            env = await start_temporal(port)
            try:
                paused = await client.post("/v1/batches/batch-down/pause")
                assert paused.status_code == 409
                assert "send it again to start it" in paused.json()["error"]["message"]
                again = await client.post("/v1/batches?reference=down", content=batch, headers=json_lines)
                assert again.status_code == 200 and again.json()["id"] == "batch-down", again.text
                description = await env.client.get_workflow_handle("batch-down").describe()
                assert description.status == WorkflowExecutionStatus.RUNNING
            finally:
                await env.shutdown()
