"""``onboard suspend|resume|offboard|audit`` as a user runs them: subprocesses against a real API whose
worker carries the operations out at the provider sandbox."""

from __future__ import annotations

import asyncio
import uuid

import pytest

from tests.api.harness import RunningApi, onboarding_body
from tests.api.test_lifecycle import live_api, wait_for, worker
from tests.cli.test_onboard_commands import onboard

__all__ = ["live_api", "worker"]

pytestmark = pytest.mark.slow


async def test_suspend_resume_plan_and_audit_from_the_command_line(
    live_api: RunningApi, worker: None
) -> None:
    body = onboarding_body(f"cli-ops-{uuid.uuid4().hex[:6]}", kyc_mode="personal_use")
    async with live_api.async_client() as client:
        cid = (await client.post("/v1/onboardings", json=body)).json()["id"]
        await wait_for(client, cid, {"completed"})

        async def run(*args: str) -> tuple[int, str, str]:
            done = await asyncio.to_thread(onboard, *args, api_url=live_api.url)
            return done.returncode, done.stdout, done.stderr

        code, out, err = await run("suspend", cid, "--reason", "abuse", "--note", "spam calls")
        assert code == 0 and "suspending" in out and "customer ui" in out, err
        await wait_for(client, cid, {"suspended"})

        code, out, err = await run("resume", cid, "--idempotency-key", "r-1")
        assert code == 0 and "resuming" in out, err
        await wait_for(client, cid, {"active"})

        code, out, err = await run("offboard", cid, "--numbers", "keep", "--dry-run")
        assert code == 0, err
        assert "keep" in out and "carrier_number" in out and "carrier_sub_account" in out
        code, out, err = await run("audit", cid)
        assert code == 0 and "abuse" in out and "resume" in out and "operator" in out, err
        code, out, err = await run("resume", cid)  # a repeat: answered as it stands, nothing done again
        assert code == 0 and "active" in out, err
