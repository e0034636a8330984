"""Per-reseller quotas on starting onboardings: a reseller at its limits is told so (429 with Retry-After,
or 409 for agent slots) and never holds up another reseller; a repeated reference never counts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator

import httpx
import pytest
from temporalio.client import Client, WorkflowExecutionStatus
from temporalio.testing import WorkflowEnvironment

from store import api_keys
from tests.api.harness import RunningApi, address_of, api_settings, live_settings, onboarding_body, run_api
from tests.api.test_lifecycle import complete_session, wait_for, worker
from tests.support.processes import Sandbox

__all__ = ["worker"]

#: one reseller per scenario, each with the override it exercises; everyone else has the defaults
QUOTAS = {
    "tight": {"in_flight": 2},
    "burst": {"starts_per_minute": 2},
    "slots": {"agent_slots": 2},
    "crowd": {"in_flight": 3},
}
LIVE_QUOTAS = {"tight": {"in_flight": 2}, "one-agent": {"agent_slots": 1}}


@pytest.fixture(scope="module")
def quota_api(
    temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    """An API with :data:`QUOTAS`; no worker runs its workflows, so its onboardings stay in flight."""
    settings = api_settings(tmp_path_factory.mktemp("quotas"), address_of(temporal), reseller_quotas=QUOTAS)
    with run_api(settings) as running:
        yield running


@pytest.fixture(scope="module")
def live_api(
    temporal: WorkflowEnvironment, sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    """An API with :data:`LIVE_QUOTAS` whose workflows the ``worker`` runs against the sandbox."""
    data_dir = tmp_path_factory.mktemp("live-quotas")
    settings = live_settings(data_dir, address_of(temporal), sandbox.url, reseller_quotas=LIVE_QUOTAS)
    with run_api(settings) as running:
        yield running


def reseller_client(api: RunningApi, reseller: str) -> httpx.AsyncClient:
    """A client with a new API key of ``reseller``."""
    return api.async_client(api_keys.create(api.engine, reseller))


def reference() -> str:
    return f"q-{uuid.uuid4().hex[:10]}"


async def start(client: httpx.AsyncClient, ref: str | None = None, **changes: object) -> httpx.Response:
    return await client.post("/v1/onboardings", json=onboarding_body(ref or reference(), **changes))


def refused(response: httpx.Response, status: int, quota: str, limit: int) -> None:
    """Assert ``response`` is the refusal of ``quota`` naming its ``limit``."""
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert error["type"] == "quota_exceeded"
    assert f"the {quota} quota is full: at most {limit} " in error["message"]


async def refusals(client: httpx.AsyncClient, quota: str, reseller: str) -> float:
    """The API's ``api_quota_refusals_total`` series for ``quota`` and ``reseller``."""
    series = f'api_quota_refusals_total{{quota="{quota}",reseller="{reseller}"}} '
    lines = (await client.get("/metrics")).text.splitlines()
    return next((float(line.removeprefix(series)) for line in lines if line.startswith(series)), 0.0)


async def test_a_reseller_at_its_in_flight_quota_gets_429_and_another_starts_as_usual(
    quota_api: RunningApi, temporal_client: Client
) -> None:
    async with reseller_client(quota_api, "tight") as tight, reseller_client(quota_api, "other") as other:
        before = await refusals(tight, "in_flight", "tight")
        first, second = await start(tight, "tight-1"), await start(tight)
        assert (first.status_code, second.status_code) == (202, 202)

        full = await start(tight)
        refused(full, 429, "in_flight", 2)
        assert full.headers["Retry-After"] == "60"
        assert await refusals(tight, "in_flight", "tight") == before + 1

        # a repeat of a reference already started is answered as ever, never counted
        assert (await start(tight, "tight-1")).status_code == 200
        conflict = await start(tight, "tight-1", business_name="Someone Else")
        assert conflict.status_code == 409 and conflict.json()["error"]["type"] == "conflict"

        started = await start(other)
        assert started.status_code == 202, started.text
    description = await temporal_client.get_workflow_handle(started.json()["id"]).describe()
    assert description.status == WorkflowExecutionStatus.RUNNING


async def test_starts_per_minute_answers_429_until_the_oldest_start_leaves_the_minute(
    quota_api: RunningApi,
) -> None:
    async with reseller_client(quota_api, "burst") as burst:
        assert [(await start(burst)).status_code for _ in range(2)] == [202, 202]
        full = await start(burst)
    refused(full, 429, "starts_per_minute", 2)
    assert 1 <= int(full.headers["Retry-After"]) <= 60


async def test_agent_slots_reserved_by_onboardings_in_progress_answer_409(quota_api: RunningApi) -> None:
    async with reseller_client(quota_api, "slots") as slots:
        assert [(await start(slots)).status_code for _ in range(2)] == [202, 202]
        full = await start(slots)
    refused(full, 409, "agent_slots", 2)
    assert "Retry-After" not in full.headers


async def test_concurrent_starts_never_overshoot_the_quota(quota_api: RunningApi) -> None:
    async with reseller_client(quota_api, "crowd") as crowd:
        answers = await asyncio.gather(*(start(crowd) for _ in range(10)))
        listed = await crowd.get("/v1/onboardings", params={"limit": 100})
    assert sorted(answer.status_code for answer in answers) == [202] * 3 + [429] * 7
    assert len(listed.json()["items"]) == 3


async def test_openapi_declares_the_quota_answers(quota_api: RunningApi) -> None:
    async with quota_api.async_client() as client:
        responses = (await client.get("/openapi.json")).json()["paths"]["/v1/onboardings"]["post"][
            "responses"
        ]
    assert "Retry-After" in responses["429"]["headers"]
    assert "agent_slots" in responses["409"]["description"]


@pytest.mark.slow
async def test_a_reseller_at_its_quota_never_holds_up_another_and_a_cancel_makes_room(
    live_api: RunningApi, worker: None
) -> None:
    async with reseller_client(live_api, "tight") as tight, reseller_client(live_api, "other") as other:
        first, second = await start(tight), await start(tight)
        assert (first.status_code, second.status_code) == (202, 202)
        refused(await start(tight), 429, "in_flight", 2)

        theirs = await start(other)
        assert theirs.status_code == 202, theirs.text
        await wait_for(other, theirs.json()["id"], {"awaiting_kyc"})

        mine = first.json()["id"]
        await wait_for(tight, mine, {"awaiting_kyc"})
        assert (await tight.post(f"/v1/onboardings/{mine}/cancel")).status_code == 202
        await wait_for(tight, mine, {"cancelled"})
        assert (await start(tight)).status_code == 202


@pytest.mark.slow
async def test_a_completed_onboarding_keeps_its_agent_slot(
    live_api: RunningApi, worker: None, sandbox: Sandbox
) -> None:
    async with reseller_client(live_api, "one-agent") as client:
        started = await start(client)
        assert started.status_code == 202, started.text
        onboarding_id = started.json()["id"]
        waiting = await wait_for(client, onboarding_id, {"awaiting_kyc"})
        await complete_session(sandbox, waiting["kyc"]["session_id"], "approved")
        done = await wait_for(client, onboarding_id, {"completed", "failed"})
        assert done["status"] == "completed" and done["agent_id"], done
        refused(await start(client), 409, "agent_slots", 1)
