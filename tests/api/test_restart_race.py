"""A KYC restart that reaches the workflow in the same task as the rejection itself (the reseller saw the
rejection first, e.g. in the mirrored list, while the workflow was between workers) is accepted."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from domain.onboarding import KycResult
from tests.api.harness import RunningApi, onboarding_body
from tests.api.test_lifecycle import complete_session, live_api, wait_for
from tests.support.processes import Sandbox
from worker.app import create_worker
from worker.client import connect

__all__ = ["live_api"]


async def test_a_restart_arriving_with_the_rejection_is_accepted(
    live_api: RunningApi, sandbox: Sandbox
) -> None:
    client = await connect(live_api.settings)
    async with live_api.async_client() as api:
        async with create_worker(client, live_api.settings):
            started = await api.post("/v1/onboardings", json=onboarding_body(f"race-{uuid.uuid4().hex[:6]}"))
            onboarding_id = started.json()["id"]
            first = await wait_for(api, onboarding_id, {"awaiting_kyc"})
        # no worker: the verdict and the restart wait for the next one, which gets both in one task
        session_id = first["kyc"]["session_id"]
        await complete_session(sandbox, session_id, "rejected")
        rejected = KycResult(
            event_id=f"evt-{uuid.uuid4().hex}",
            session_id=session_id,
            outcome="rejected",
            occurred_at=datetime.now(UTC),
        )
        await client.get_workflow_handle(onboarding_id).signal("kyc_result", rejected)
        restart = asyncio.ensure_future(api.post(f"/v1/onboardings/{onboarding_id}/kyc/restart"))
        await asyncio.sleep(1)
        async with create_worker(client, live_api.settings):
            restarted = await restart
            assert restarted.status_code == 202, restarted.text
            assert restarted.json()["kyc"]["sessions_started"] == 2
            assert (await api.post(f"/v1/onboardings/{onboarding_id}/cancel")).status_code == 202
            await wait_for(api, onboarding_id, {"cancelled"})
