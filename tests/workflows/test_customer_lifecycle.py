"""``CustomerLifecycle`` on the time-skipping server with the real activities and the provider sandbox:
suspend and resume at the providers under provider faults, and an offboarding that waits out a number's
cool-off and leaves nothing behind."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import httpx
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.lifecycle import (
    OffboardOrder,
    ResumeOrder,
    SuspendOrder,
)
from domain.onboarding import OffboardRequest, OnboardingState, ResumeRequest, SuspendRequest
from store import audit, onboardings
from tests.workflows.conftest import Harness
from worker.client import data_converter
from workflows.lifecycle import CustomerLifecycle

#: every provider route fails one answer in two (5xx), and drops (after running it) a third of the rest
FLAKY = {
    "error_rate": 0.5,
    "drop_response_rate": 0.3,
    "routes": ["/api/v1/accounts", "/api/v1/account", "/v1/"],
}


async def _customer(harness: Harness, **start: object) -> WorkflowHandle[CustomerLifecycle, OnboardingState]:
    """A completed onboarding, and its lifecycle workflow started as the API starts it."""
    done = await (await harness.start(kyc_mode="personal_use", **start)).result()  # type: ignore[arg-type]
    return await harness.lifecycle(done)


async def _settled(
    handle: WorkflowHandle[CustomerLifecycle, OnboardingState], status: str
) -> OnboardingState:
    for _ in range(2400):  # two minutes: with one answer in two failing, retries back off for a while
        state = await handle.query(CustomerLifecycle.status)
        if state.status == status or state.cool_off_until is not None:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached {status}: {state}")


async def _sandbox(harness: Harness, sub_account_id: str) -> dict[str, object] | None:
    """What the sandbox holds for the carrier sub-account (None: it is gone)."""
    async with httpx.AsyncClient(base_url=harness.sandbox.url) as http:
        everything = (await http.get("/_sandbox/state")).json()
    found: dict[str, object] | None = everything["by_sub_account"].get(sub_account_id)
    return found


async def _faults_injected(harness: Harness) -> dict[str, int]:
    async with httpx.AsyncClient(base_url=harness.sandbox.url) as http:
        injected: dict[str, int] = (await http.get("/_sandbox/faults")).json()["injected"]
    return injected


async def test_suspend_and_resume_through_provider_faults_repeat_nothing(
    harness: Harness, env: WorkflowEnvironment
) -> None:
    handle = await _customer(harness, count=1, numbers_provider="agent_platform")
    await harness.set_faults(FLAKY)
    try:
        with env.auto_time_skipping_disabled():
            suspend = SuspendOrder(actor="key:abc", request=SuspendRequest(reason="abuse"))
            answered = await handle.execute_update(CustomerLifecycle.suspend, suspend)
            assert answered.status == "suspending"
            again = await handle.execute_update(CustomerLifecycle.suspend, suspend)  # a repeat
            suspended = await _settled(handle, "suspended")
            assert again.status in ("suspending", "suspended")
            sub = suspended.sub_account_id
            assert sub is not None
            assert (await _sandbox(harness, sub) or {}) | {"kyc_status": None} == {
                "numbers": 1, "agents": 1, "agent_sub_accounts": 1, "kyc_status": None,
                "enabled": False, "agent_numbers_attached": 0,
            }  # fmt: skip
            resume = ResumeOrder(actor="operator", request=ResumeRequest())
            await handle.execute_update(CustomerLifecycle.resume, resume)
            active = await _settled(handle, "active")
        injected = await _faults_injected(harness)
    finally:
        await harness.set_faults(None)

    assert injected["error"] + injected["drop"] > 0
    assert active.lifecycle is not None and active.lifecycle.operations == 2
    side = await _sandbox(harness, sub)
    assert (
        side is not None
        and side["enabled"] is True
        and side["agent_numbers_attached"] == 1
        and side["numbers"] == 1
    )
    entries = audit.entries(harness.deps.engine, active.id)
    assert [(e.seq, e.operation, e.actor, e.reason) for e in entries] == [
        (1, "suspend", "key:abc", "abuse"),
        (2, "resume", "operator", None),
    ]
    mirrored = onboardings.get_state(harness.deps.engine, active.id)
    assert mirrored is not None and mirrored.status == "active"


async def test_offboarding_waits_out_a_cool_off_and_leaves_nothing_at_the_providers(
    harness: Harness, env: WorkflowEnvironment
) -> None:
    before = await harness.provider_totals()
    handle = await _customer(harness, count=2)
    state = await handle.query(CustomerLifecycle.status)
    called = state.numbers[0]
    await harness.had_a_call(called)
    await harness.set_faults(FLAKY)
    try:
        with env.auto_time_skipping_disabled():
            offboard = OffboardOrder(actor="operator", request=OffboardRequest(numbers="release"))
            assert (await handle.execute_update(CustomerLifecycle.offboard, offboard)).status == "offboarding"
            waiting = await _settled(handle, "offboarded")
        injected = await _faults_injected(harness)
    finally:
        await harness.set_faults(None)

    assert injected["error"] + injected["drop"] > 0
    assert waiting.status == "offboarding" and waiting.cool_off_until is not None
    assert timedelta(days=14) < waiting.cool_off_until - datetime.now(UTC) <= timedelta(days=15)
    mirrored = onboardings.get_state(harness.deps.engine, state.id)
    assert mirrored is not None and mirrored.cool_off_until == waiting.cool_off_until
    assert (
        mirrored.next_action.code == "wait_for_cleanup"
        and mirrored.next_action.due_by == waiting.cool_off_until
    )

    await harness.had_a_call(called, days_ago=16)  # the provider's clock moves on with the workflow's
    done = await handle.result()  # time skips through the cool-off
    assert done.status == "offboarded" and done.numbers == [] and done.cool_off_until is None
    assert await harness.provider_totals() == before  # nothing left, nothing bought twice
    replayer = Replayer(workflows=[CustomerLifecycle], data_converter=data_converter(harness.settings))
    assert (await replayer.replay_workflow(await handle.fetch_history())).replay_failure is None


async def test_offboarding_keeps_the_numbers_in_the_resellers_pool_when_asked(harness: Harness) -> None:
    handle = await _customer(harness, count=1)
    kept = (await handle.query(CustomerLifecycle.status)).numbers
    offboard = OffboardOrder(actor="operator", request=OffboardRequest(numbers="keep"))
    await handle.execute_update(CustomerLifecycle.offboard, offboard)
    done = await handle.result()
    assert done.status == "offboarded" and done.sub_account_id is not None
    assert await _sandbox(harness, done.sub_account_id) is None
    owned = {n.e164: n for n in await harness.deps.providers.carrier.owned_numbers()}
    carrier = harness.deps.providers.carrier
    assert all(
        owned[e164].account_id in (None, carrier.auth_id) and owned[e164].trunk_group_id is None
        for e164 in kept
    )
    for e164 in kept:  # hand them back, so other tests' totals stay whole
        await carrier.release_number(e164)
