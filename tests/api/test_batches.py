"""Bulk onboarding over HTTP against the real workflow: a worker runs the batch and its onboardings
against the provider sandbox. Rows ask for customer KYC, so their onboardings wait at ``awaiting_kyc``."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from temporalio.client import Client, WorkflowFailureError, WorkflowHandle
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment

from api.batch_files import BatchFileRow
from api.batches import batch_records
from domain.batch import BatchInput, BatchProgress
from domain.onboarding import OnboardingRequest
from store import api_keys, batches
from tests.api.harness import RunningApi, address_of, live_settings, onboarding_body, run_api
from tests.api.test_lifecycle import worker
from tests.support.processes import Sandbox
from worker.client import connect
from workflows.batch import OnboardingBatch

__all__ = ["worker"]

pytestmark = pytest.mark.slow

JSON_LINES = {"content-type": "application/x-ndjson"}
#: rows a second: a chunk (5 s) starts 20, so a pause or cancel right after the start leaves rows pending
PACE = 4
MAX_BYTES = 64 * 1024
#: the agent columns of a CSV row like :func:`onboarding_body`'s
AGENT = "Front desk,Book appointments."
#: reseller "slots" may hold 2 agent-platform sub-accounts; reseller "slow" may start 2 onboardings a minute
QUOTAS = {"slots": {"agent_slots": 2}, "slow": {"starts_per_minute": 2}}
#: sub-accounts the one agent-platform account holds; no onboarding here gets past KYC, so none is taken,
#: but each one under way will take one
PLATFORM_SLOTS = 4


@pytest.fixture(scope="module")
def live_api(
    temporal: WorkflowEnvironment, sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    """An API and (with ``worker``) a worker on a task queue of their own, pacing batches at :data:`PACE`."""
    settings = live_settings(
        tmp_path_factory.mktemp("batches"),
        address_of(temporal),
        sandbox.url,
        batch_starts_per_second=PACE,
        batch_max_bytes=MAX_BYTES,
        reseller_quotas=QUOTAS,
        agents_sub_account_limit=PLATFORM_SLOTS,
    )
    with run_api(settings) as running:
        yield running


def lines(*bodies: dict[str, Any]) -> str:
    return "\n".join(json.dumps(body) for body in bodies)


def rows(prefix: str, count: int) -> list[dict[str, Any]]:
    return [onboarding_body(f"{prefix}-{i}") for i in range(count)]


async def send(client: httpx.AsyncClient, bodies: list[dict[str, Any]]) -> Any:
    """POST the rows as JSON lines; the batch started."""
    sent = await client.post("/v1/batches", content=lines(*bodies), headers=JSON_LINES)
    assert sent.status_code == 202, sent.text
    return sent.json()


async def settled(client: httpx.AsyncClient, batch_id: str, wanted: set[str], timeout_s: float = 60) -> Any:
    """Poll the batch until its state is one of ``wanted``."""
    deadline = time.monotonic() + timeout_s
    while True:
        document = (await client.get(f"/v1/batches/{batch_id}")).raise_for_status().json()
        if document["state"] in wanted:
            return document
        assert time.monotonic() < deadline, f"{batch_id} stuck: {document}"
        await asyncio.sleep(0.3)


async def onboarded(client: httpx.AsyncClient, batch_id: str, count: int) -> Any:
    """Poll the completed batch until ``count`` of its onboardings wait for KYC."""
    deadline = time.monotonic() + 60
    while True:
        document = (await client.get(f"/v1/batches/{batch_id}")).json()
        if document["statuses"].get("awaiting_kyc", 0) >= count:
            return document
        assert time.monotonic() < deadline, f"{batch_id}'s onboardings stuck: {document['statuses']}"
        await asyncio.sleep(0.3)


async def runs(client: Client, workflow_id: str) -> int:
    """How many runs of ``workflow_id`` Temporal has (open or closed)."""
    return len([run async for run in client.list_workflows(f'WorkflowId="{workflow_id}"')])


async def test_a_batch_starts_each_row_once_and_sent_again_answers_the_same_batch(
    live_api: RunningApi, worker: None
) -> None:
    prefix = f"bt-{uuid.uuid4().hex[:6]}"
    bodies = rows(prefix, 3)
    async with live_api.async_client() as client:
        sent = await client.post("/v1/batches", content=lines(*bodies), headers=JSON_LINES)
        assert sent.status_code == 202, sent.text
        batch = sent.json()
        assert batch["rows"] == 3 and batch["state"] == "running" and batch["reference"] in batch["id"]
        assert batch["preflight"] == {
            "agent_slots_needed": 3, "agent_slots_free": None, "platform_slots_free": 4, "enough": True
        }  # fmt: skip
        assert batch["links"]["temporal_ui"].endswith(f"/workflows/{batch['id']}")
        done = await settled(client, batch["id"], {"completed"})
        assert done["outcomes"] == {
            "pending": 0, "started": 3, "existing": 0, "conflict": 0, "refused": 0, "skipped": 0
        }  # fmt: skip
        await onboarded(client, batch["id"], 3)
        again = await client.post("/v1/batches", content=lines(*bodies), headers=JSON_LINES)
        assert again.status_code == 200 and again.json()["id"] == batch["id"]
        assert again.json()["outcomes"]["started"] == 3
        # its three onboardings, waiting for KYC, will each take a slot before any row sent now
        assert again.json()["preflight"]["platform_slots_free"] == PLATFORM_SLOTS - 3
        single = await client.get(f"/v1/onboardings/onboarding-{prefix}-0")
        assert single.json()["status"] == "awaiting_kyc"
    temporal = await connect(live_api.settings)
    assert [await runs(temporal, f"onboarding-{prefix}-{i}") for i in range(3)] == [1, 1, 1]
    row = await temporal.get_workflow_handle(f"onboarding-{prefix}-0").describe()
    assert row.raw_description.workflow_execution_info.priority.priority_key == 4  # after single starts (3)
    assert await runs(temporal, batch["id"]) == 1


async def test_rows_already_onboarding_are_not_started_again_and_conflicts_are_reported(
    live_api: RunningApi, worker: None
) -> None:
    prefix = f"bx-{uuid.uuid4().hex[:6]}"
    same, other, new = (
        onboarding_body(f"{prefix}-same"),
        onboarding_body(f"{prefix}-other"),
        onboarding_body(f"{prefix}-new"),
    )
    csv = "\n".join(
        [
            "reference,business_name,email,numbers.country,numbers.count,agent.name,agent.system_prompt",
            *(
                f"{b['reference']},Acme Dental Clinic,owner@acme-dental.example,IN,2,{AGENT}"
                for b in (same, other, new)
            ),
        ]
    )
    async with live_api.async_client() as client:
        for body in (same, {**other, "business_name": "Another Clinic"}):
            started = await client.post("/v1/onboardings", json={**body, "business_type": "individual"})
            assert started.status_code == 202, started.text
        sent = await client.post(
            "/v1/batches?reference=" + prefix, content=csv, headers={"content-type": "text/csv"}
        )
        assert sent.status_code == 202, sent.text
        assert sent.json()["id"] == f"batch-{prefix}" and sent.json()["preflight"]["agent_slots_needed"] == 1
        done = await settled(client, sent.json()["id"], {"completed"})
        other_rows = await client.post(
            "/v1/batches?reference=" + prefix,
            content=lines(onboarding_body(f"{prefix}-x")),
            headers=JSON_LINES,
        )
    assert (
        done["outcomes"]["existing"] == 1
        and done["outcomes"]["conflict"] == 1
        and done["outcomes"]["started"] == 1
    )
    assert done["rows_failed"] == 1
    [conflict] = done["failed_rows"]
    assert (conflict["row"], conflict["reference"], conflict["outcome"]) == (3, f"{prefix}-other", "conflict")
    assert (
        "different request" in conflict["reason"]
        and conflict["onboarding_id"] == f"onboarding-{prefix}-other"
    )
    assert other_rows.status_code == 409 and other_rows.json()["error"]["fields"][0]["field"] == "reference"


async def test_a_batch_can_be_paused_resumed_and_cancelled_leaving_its_onboardings_running(
    live_api: RunningApi, worker: None
) -> None:
    async with live_api.async_client() as client:
        first = await send(client, rows(f"bp-{uuid.uuid4().hex[:6]}", 30))
        assert not first["preflight"]["enough"]  # 30 rows, at most 4 slots
        paused = await client.post(f"/v1/batches/{first['id']}/pause")
        assert paused.status_code == 200, paused.text
        assert paused.json()["state"] == "paused" and paused.json()["outcomes"]["pending"] >= 10
        await asyncio.sleep(2 * 5)  # two chunks' time: nothing moves while paused
        still = (await client.get(f"/v1/batches/{first['id']}")).json()
        assert still["outcomes"] == paused.json()["outcomes"]
        assert (await client.post(f"/v1/batches/{first['id']}/pause")).json()["state"] == "paused"
        resumed = await client.post(f"/v1/batches/{first['id']}/resume")
        assert resumed.status_code == 200 and resumed.json()["state"] == "running"
        done = await settled(client, first["id"], {"completed"})
        assert done["outcomes"]["started"] == 30
        assert (await client.post(f"/v1/batches/{first['id']}/pause")).status_code == 409

        second = await send(client, rows(f"bc-{uuid.uuid4().hex[:6]}", 30))
        cancelled = await client.post(f"/v1/batches/{second['id']}/cancel")
        assert cancelled.status_code == 200, cancelled.text
        outcomes = cancelled.json()["outcomes"]
        assert cancelled.json()["state"] == "cancelled" and outcomes["pending"] == 0
        assert outcomes["skipped"] >= 10 and outcomes["started"] + outcomes["skipped"] == 30
        assert (await client.post(f"/v1/batches/{second['id']}/cancel")).status_code == 200
        assert (await client.post(f"/v1/batches/{second['id']}/resume")).status_code == 409
        await onboarded(client, second["id"], outcomes["started"])


async def test_quotas_refuse_rows_past_the_agent_slots_and_hold_the_rest_until_starts_have_room(
    live_api: RunningApi, worker: None
) -> None:
    async with live_api.async_client(api_keys.create(live_api.engine, "slots")) as slots:
        sent = (await slots.post("/v1/batches", content=lines(*rows("sl", 3)), headers=JSON_LINES)).json()
        preflight = sent["preflight"]
        assert (preflight["agent_slots_needed"], preflight["agent_slots_free"], preflight["enough"]) == (
            3,
            2,
            False,
        )
        done = await settled(slots, sent["id"], {"completed"})
    assert done["outcomes"]["started"] == 2 and done["outcomes"]["refused"] == 1
    assert done["failed_rows"][0]["reason"] == "the agent_slots quota is full (2)"
    async with live_api.async_client(api_keys.create(live_api.engine, "slow")) as slow:
        sent = (await slow.post("/v1/batches", content=lines(*rows("sw", 3)), headers=JSON_LINES)).json()
        waiting = await settled(slow, sent["id"], {"running"})
        deadline = time.monotonic() + 30
        while waiting["waiting_for"] is None:
            assert time.monotonic() < deadline, waiting
            waiting = (await slow.get(f"/v1/batches/{sent['id']}")).json()
            await asyncio.sleep(0.3)
        assert waiting["waiting_for"] == "starts_per_minute" and waiting["outcomes"]["started"] == 2
        cancelled = (await slow.post(f"/v1/batches/{sent['id']}/cancel")).json()
    assert cancelled["outcomes"]["skipped"] == 1 and cancelled["waiting_for"] is None


async def test_invalid_batches_start_nothing_and_another_resellers_batch_is_not_found(
    live_api: RunningApi, worker: None
) -> None:
    prefix = f"bv-{uuid.uuid4().hex[:6]}"
    bad = [
        onboarding_body(f"{prefix}-0"),
        onboarding_body(f"{prefix}-1", email="nope"),
        onboarding_body(f"{prefix}-0"),
    ]
    big = lines(*(onboarding_body(f"{prefix}-big-{i}", business_name="x" * 90) for i in range(120)))
    assert live_api.settings.max_body_bytes < len(big) < MAX_BYTES  # only this route takes it
    async with live_api.async_client() as client:
        invalid = await client.post("/v1/batches", content=lines(*bad), headers=JSON_LINES)
        too_big = await client.post("/v1/batches", content=big + "\n" + "x" * MAX_BYTES, headers=JSON_LINES)
        not_a_file = await client.post("/v1/batches", json=bad[0])
        taken = await client.get(f"/v1/onboardings/onboarding-{prefix}-0")
        mine = (await client.post(f"/v1/batches?reference={prefix}", content=big, headers=JSON_LINES)).json()
    assert invalid.status_code == 422
    assert [(f["field"], f["message"]) for f in invalid.json()["error"]["fields"]] == [
        ("rows[2].email", "value is not a valid email address: An email address must have an @-sign."),
        ("rows[3].reference", "also in row 1"),
    ]
    assert too_big.status_code == 413 and not_a_file.status_code == 415 and taken.status_code == 404
    async with live_api.async_client(api_keys.create(live_api.engine, "rival")) as rival:
        for path in ("", "/pause", "/resume", "/cancel"):
            answer = await (rival.get if not path else rival.post)(f"/v1/batches/{mine['id']}{path}")
            assert answer.status_code == 404, (path, answer.text)
        theirs = await rival.post(
            f"/v1/batches?reference={prefix}", content=lines(onboarding_body(prefix)), headers=JSON_LINES
        )
    assert theirs.status_code == 202 and theirs.json()["id"] == f"batch-rival~{prefix}"


async def chunk_per_run(
    live_api: RunningApi, prefix: str, count: int, decided_before: int = 0
) -> tuple[Client, WorkflowHandle[Any, BatchProgress]]:
    """Store a batch of ``count`` rows, the first ``decided_before`` of them decided as a worker killed
    before it answered would leave them, and start its workflow continuing as new after every chunk (the
    API starts it with a hundred a run); the Temporal client and the first run's handle."""
    parsed = [
        BatchFileRow(number=n, request=OnboardingRequest.model_validate(body))
        for n, body in enumerate(rows(prefix, count), start=1)
    ]
    record, stored = await batch_records(live_api.settings, "default", prefix, parsed)
    batches.create(live_api.engine, record, stored)
    for number in range(1, decided_before + 1):
        batches.decide(live_api.engine, record.id, number, "skipped", datetime.now(UTC))
    temporal = await connect(live_api.settings)
    handle = await temporal.start_workflow(
        OnboardingBatch.run,
        BatchInput(batch_id=record.id, reseller="default", rows=count, chunks_per_run=1),
        id=record.id,
        task_queue=live_api.settings.task_queue,
    )
    return temporal, handle


async def test_a_long_batch_continues_as_new_and_the_temporal_uis_cancel_skips_the_rest(
    live_api: RunningApi, worker: None
) -> None:
    temporal, handle = await chunk_per_run(live_api, f"bl-{uuid.uuid4().hex[:6]}", 60)
    latest = temporal.get_workflow_handle(handle.id)
    deadline = time.monotonic() + 30
    while (await latest.describe()).run_id == handle.first_execution_run_id:  # one chunk a run
        assert time.monotonic() < deadline, "the batch never continued as new"
        await asyncio.sleep(0.3)
    progress = await latest.query(OnboardingBatch.progress)
    assert progress.rows_decided == 20 and progress.state == "running"

    await latest.cancel()  # what the Temporal UI's Cancel button sends
    with pytest.raises(WorkflowFailureError) as failure:
        await latest.result()
    assert isinstance(failure.value.cause, CancelledError)
    async with live_api.async_client() as client:
        document = (await client.get(f"/v1/batches/{handle.id}")).json()
    outcomes = document["outcomes"]
    assert document["state"] == "cancelled" and outcomes["pending"] == 0
    assert outcomes["started"] >= 20 and outcomes["started"] + outcomes["skipped"] == 60


async def test_the_progress_counts_the_rows_a_crashed_chunk_decided(
    live_api: RunningApi, worker: None
) -> None:
    _, handle = await chunk_per_run(live_api, f"bd-{uuid.uuid4().hex[:6]}", 6, decided_before=2)
    progress = await asyncio.wait_for(handle.result(), timeout=60)
    assert progress.state == "completed" and progress.rows_decided == 6


async def test_a_cancel_in_a_runs_last_chunk_ends_the_batch_instead_of_continuing_it(
    live_api: RunningApi, worker: None
) -> None:
    temporal, handle = await chunk_per_run(live_api, f"bk-{uuid.uuid4().hex[:6]}", 40)
    async with live_api.async_client() as client:
        await settled(client, handle.id, {"running"})
        cancelled = await client.post(f"/v1/batches/{handle.id}/cancel")  # while the run's only chunk runs
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled", cancelled.text
    progress = await asyncio.wait_for(handle.result(), timeout=30)
    assert progress.state == "cancelled" and await runs(temporal, handle.id) == 1
