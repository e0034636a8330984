"""Reads come from the database the workflow mirrors into: they answer at once with no worker up, and a
read right after a write answers what the write answered (or newer)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from domain.onboarding import KycInfo
from store.onboardings import get_state, save_state
from tests.api.harness import RunningApi, onboarding_body


async def test_reads_answer_from_the_database_while_no_worker_runs(api: RunningApi) -> None:
    async with api.async_client() as client:
        started = await client.post("/v1/onboardings", json=onboarding_body(f"reads-{uuid.uuid4().hex[:8]}"))
        onboarding_id = started.json()["id"]
        right_after = await client.get(f"/v1/onboardings/{onboarding_id}")
        assert right_after.json() == started.json()

        stored = get_state(api.engine, onboarding_id)
        assert stored is not None
        mirrored = stored.model_copy(
            update={
                "status": "awaiting_kyc",
                "kyc": KycInfo(session_id="kyc_reads", status="pending", flow="email"),
                "updated_at": datetime.now(UTC),
            }
        )
        save_state(api.engine, mirrored)  # as the workflow's mirror writes it
        began = time.monotonic()
        reads = [await client.get(f"/v1/onboardings/{onboarding_id}") for _ in range(5)]
        elapsed = time.monotonic() - began
        listed = await client.get("/v1/onboardings", params={"status": "awaiting_kyc", "limit": 100})
        cancelled = await client.post(f"/v1/onboardings/{onboarding_id}/cancel")
        after_cancel = await client.get(f"/v1/onboardings/{onboarding_id}")

    # no workflow is asked (no worker could answer it): five reads take far less than one query's wait
    assert elapsed < 2.0, elapsed
    assert {read.json()["status"] for read in reads} == {"awaiting_kyc"}
    assert reads[0].json()["kyc"]["session_id"] == "kyc_reads"
    assert onboarding_id in [item["id"] for item in listed.json()["items"]]
    assert cancelled.status_code == 202 and after_cancel.json() == cancelled.json()
