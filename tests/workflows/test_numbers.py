"""Numbers that ring somewhere: carrier numbers routed to the reseller's trunk group, or agent-platform
numbers attached to the agent; and compensation that waits out a number's 15-day cool-off."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowFailureError
from temporalio.exceptions import CancelledError
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.onboarding import OnboardingState
from store import onboardings
from tests.workflows.conftest import Harness
from worker.client import data_converter
from workflows.onboarding import CustomerOnboarding


async def test_agent_platform_numbers_are_bought_beside_the_agent_and_attached_to_it(
    harness: Harness,
) -> None:
    handle = await harness.start(kyc_mode="personal_use", count=2, numbers_provider="agent_platform")
    done = await handle.result()

    assert done.status == "completed" and done.numbers_provider == "agent_platform" and len(done.numbers) == 2
    assert done.sub_account_id
    agents = harness.deps.providers.agents
    sub = await agents.find_sub_account_by_name(done.sub_account_id)
    assert sub is not None
    held = await agents.list_numbers(sub.id)
    assert sorted(n.phone_number for n in held) == sorted(done.numbers)
    assert {n.agent_id for n in held} == {done.agent_id}
    carrier_numbers = await harness.deps.providers.carrier.owned_numbers()
    assert not any(n.account_id == done.sub_account_id for n in carrier_numbers)


async def test_carrier_numbers_are_assigned_to_the_sub_account(harness: Harness) -> None:
    done = await (await harness.start(kyc_mode="personal_use", count=2)).result()

    assert done.status == "completed" and done.numbers_provider == "carrier" and done.sub_account_id
    owned = {n.e164: n for n in await harness.deps.providers.carrier.owned_numbers()}
    assert all(owned[number].account_id == done.sub_account_id for number in done.numbers)


async def test_compensation_waits_out_a_numbers_cool_off_then_releases_it(
    harness: Harness, env: WorkflowEnvironment
) -> None:
    before = await harness.provider_totals()
    await harness.set_faults({"latency_ms": 600, "routes": ["/v1/sub-accounts", "/v1/agents"]})
    try:
        with env.auto_time_skipping_disabled():
            handle = await harness.start(kyc_mode="personal_use", count=1)
            creating = await harness.wait_for(handle, "creating_agent")
            number = creating.numbers[0]
            await harness.had_a_call(number)
            await handle.cancel()
            waiting = await _cool_off_shown(harness, handle.id)
    finally:
        await harness.set_faults(None)

    assert waiting.status == "cancelling" and waiting.cool_off_until is not None
    assert timedelta(days=14) < waiting.cool_off_until - datetime.now(UTC) <= timedelta(days=15)
    assert number in {n.e164 for n in await harness.deps.providers.carrier.owned_numbers()}
    mirrored = onboardings.get_state(harness.deps.engine, handle.id)
    assert mirrored is not None and mirrored.cool_off_until == waiting.cool_off_until

    await harness.had_a_call(number, days_ago=16)  # the provider's clock moves on with the workflow's
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()  # time skips through the cool-off
    assert isinstance(failure.value.cause, CancelledError)
    assert await harness.provider_totals() == before
    ended = onboardings.get_state(harness.deps.engine, handle.id)
    assert ended is not None and ended.status == "cancelled" and ended.cool_off_until is None
    replayer = Replayer(workflows=[CustomerOnboarding], data_converter=data_converter(harness.settings))
    replayed = await replayer.replay_workflow(await handle.fetch_history())
    assert replayed.replay_failure is None


async def _cool_off_shown(harness: Harness, onboarding_id: str) -> OnboardingState:
    handle = harness.client.get_workflow_handle(onboarding_id)
    for _ in range(600):
        state = await handle.query(CustomerOnboarding.status)
        if state.cool_off_until is not None:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"no cool-off shown: {state}")
