"""A batch waits for the onboardings it started while as many as ``ONBOARD_BATCH_MAX_WORKING`` are still
worked on, so a stack that falls behind is not buried under more."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import Iterator

import pytest
from temporalio.testing import WorkflowEnvironment

from store.batches import WORKING
from tests.api.harness import RunningApi, address_of, live_settings, onboarding_body, run_api
from tests.api.test_lifecycle import worker
from tests.support.processes import Sandbox

__all__ = ["worker"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def live_api(
    temporal: WorkflowEnvironment, sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    """An API and (with ``worker``) a worker whose batches keep one onboarding worked on at a time."""
    settings = live_settings(
        tmp_path_factory.mktemp("backlog"), address_of(temporal), sandbox.url, batch_max_working=1
    )
    with run_api(settings) as running:
        yield running


async def test_a_batch_starts_no_more_rows_while_its_onboardings_are_still_worked_on(
    live_api: RunningApi, worker: None
) -> None:
    rows = "\n".join(json.dumps(onboarding_body(f"bb-{uuid.uuid4().hex[:6]}-{i}")) for i in range(3))
    waits: set[str | None] = set()
    async with live_api.async_client() as client:
        sent = await client.post(
            "/v1/batches", content=rows, headers={"content-type": "application/x-ndjson"}
        )
        assert sent.status_code == 202, sent.text
        deadline = time.monotonic() + 60
        while True:
            batch = (await client.get(f"/v1/batches/{sent.json()['id']}")).json()
            waits.add(batch["waiting_for"])
            assert sum(batch["statuses"].get(status, 0) for status in WORKING) <= 1, batch["statuses"]
            if batch["state"] == "completed":
                break
            assert time.monotonic() < deadline, batch
            await asyncio.sleep(0.1)
    assert batch["outcomes"]["started"] == 3 and "backlog" in waits
