"""The creating activities against a sandbox that, like the real providers, ignores idempotency keys: an
attempt that may follow a lost answer finds what the earlier attempt made and never makes it twice; a
first attempt of a first run creates straight away; a number in its cool-off is waited for, not lost."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.testing import ActivityEnvironment

from activities.cleanup import Cleanup
from activities.deps import ActivityDeps
from activities.models import (
    BuyAgentNumbers,
    CleanUp,
    CreateAgent,
    CreateSubAccount,
    PickNumbers,
    PurchaseNumber,
)
from activities.provisioning import Provisioning
from domain.onboarding import AgentSpec
from providers import Providers
from providers.agent_models import AgentSubAccountCreate
from providers.carrier_models import SubAccountCreate
from store import agent_capacity, number_claims
from tests.workflows.conftest import Harness

SPEC = AgentSpec(name="Front desk", system_prompt="Book appointments.")


def attempt(number: int, client: Client | None = None) -> ActivityEnvironment:
    """An activity environment whose activity runs as attempt ``number`` (with ``client``, if given)."""
    env = ActivityEnvironment(client)
    env.info = dataclasses.replace(env.info, attempt=number)
    return env


def sub_account_step(onboarding_id: str, *, may_repeat: bool) -> CreateSubAccount:
    return CreateSubAccount(
        onboarding_id=onboarding_id,
        email="a@example.com",
        kyc_mode="customer_use",
        business_type="individual",
        may_repeat=may_repeat,
    )


async def sub_accounts_named(harness: Harness, name: str) -> int:
    carrier, found, page = harness.deps.providers.carrier, 0, 1
    while items := (await carrier.list_sub_accounts(page=page)).items:
        found += sum(1 for sub in items if sub.name == name)
        page += 1
    return found


async def new_sub_account(harness: Harness) -> str:
    onboarding_id = f"onboarding-{uuid.uuid4().hex[:8]}"
    return await attempt(1).run(
        Provisioning(harness.deps).create_sub_account, sub_account_step(onboarding_id, may_repeat=False)
    )


async def agent_step_in_a_slot(harness: Harness) -> CreateAgent:
    """The agent step of an onboarding with a carrier sub-account and a slot in ``default``, nothing made
    at the agent platform yet."""
    sub = await new_sub_account(harness)
    onboarding_id = f"onboarding-{sub}"
    agent_capacity.sync_accounts(harness.deps.engine, ["default"], 25)
    assert agent_capacity.take(harness.deps.engine, onboarding_id, ["default"]) == "default"
    return CreateAgent(onboarding_id=onboarding_id, sub_account_id=sub, agent=SPEC, agent_account="default")


@asynccontextmanager
async def observed(harness: Harness) -> AsyncIterator[tuple[ActivityDeps, list[str]]]:
    """The harness's activity dependencies with providers that note every request they send."""
    sent: list[str] = []

    async def record(request: httpx.Request) -> None:
        sent.append(f"{request.method} {request.url.path}")

    providers = Providers.from_settings(harness.settings, {"request": [record]})
    try:
        yield dataclasses.replace(harness.deps, providers=providers), sent
    finally:
        await providers.aclose()


async def pick_one(harness: Harness) -> str:
    picked = await attempt(1).run(
        Provisioning(harness.deps).pick_numbers, PickNumbers(country="IN", count=1, exclude=[])
    )
    return picked[0]


async def test_a_retry_finds_the_sub_account_whose_answer_was_lost(harness: Harness) -> None:
    onboarding_id = f"onboarding-{uuid.uuid4().hex[:8]}"
    lost = await harness.deps.providers.carrier.create_sub_account(
        SubAccountCreate(name=onboarding_id, email="a@example.com", kyc_mode="customer_use")
    )

    kept = await attempt(2).run(
        Provisioning(harness.deps).create_sub_account, sub_account_step(onboarding_id, may_repeat=False)
    )

    assert kept == lost.sub_account.auth_id
    assert await sub_accounts_named(harness, onboarding_id) == 1


async def test_a_run_after_a_reset_looks_up_even_on_its_first_attempt(harness: Harness) -> None:
    onboarding_id = f"onboarding-{uuid.uuid4().hex[:8]}"
    lost = await harness.deps.providers.carrier.create_sub_account(SubAccountCreate(name=onboarding_id))

    kept = await attempt(1).run(
        Provisioning(harness.deps).create_sub_account, sub_account_step(onboarding_id, may_repeat=True)
    )

    assert kept == lost.sub_account.auth_id
    assert await sub_accounts_named(harness, onboarding_id) == 1


async def test_a_first_attempt_of_a_first_run_creates_without_paging_through_sub_accounts(
    harness: Harness,
) -> None:
    onboarding_id = f"onboarding-{uuid.uuid4().hex[:8]}"
    async with observed(harness) as (deps, sent):
        created = await attempt(1).run(
            Provisioning(deps).create_sub_account, sub_account_step(onboarding_id, may_repeat=False)
        )

    assert sent == [f"POST /api/v1/accounts/{deps.providers.carrier.auth_id}/sub-accounts/"]
    assert created.startswith("SA_")


async def test_a_retry_of_the_agent_step_and_its_cleanup_address_the_sub_account_its_slot_recorded(
    harness: Harness,
) -> None:
    step = await agent_step_in_a_slot(harness)
    sub, onboarding_id, engine = step.sub_account_id, step.onboarding_id, harness.deps.engine
    first = await attempt(1).run(Provisioning(harness.deps).create_agent, step)
    slot = agent_capacity.slot_of(engine, onboarding_id)
    assert slot is not None and slot.sub_account_id == first.agent_sub_account_id

    async with observed(harness) as (deps, sent):
        assert await attempt(2).run(Provisioning(deps).create_agent, step) == first
        cleanup = Cleanup(deps).delete_agent_resources  # wakes onboardings waiting for the slot freed
        await attempt(1, harness.client).run(cleanup, CleanUp(onboarding_id=onboarding_id))

    assert "GET /v1/sub-accounts" not in sent  # no paging through the master account's sub-accounts
    assert f"DELETE /v1/sub-accounts/{first.agent_sub_account_id}" in sent
    assert agent_capacity.slot_of(engine, onboarding_id) is None
    assert await harness.deps.providers.agents.find_sub_account_by_name(sub) is None


async def test_cleanup_before_the_agent_step_asks_the_agent_platform_nothing(harness: Harness) -> None:
    sub = await new_sub_account(harness)
    before = CleanUp(onboarding_id=f"onboarding-{sub}", sub_account_id=sub, reached_agent_step=False)
    unknown = before.model_copy(update={"reached_agent_step": True})  # e.g. a history from before the flag
    async with observed(harness) as (deps, sent):
        await attempt(1, harness.client).run(Cleanup(deps).delete_agent_resources, before)
        asked_before = list(sent)
        await attempt(1, harness.client).run(Cleanup(deps).delete_agent_resources, unknown)

    assert asked_before == []
    assert "GET /v1/sub-accounts" in sent  # when it cannot tell, it looks the sub-account up by name


async def test_a_slot_that_never_sent_a_create_is_not_looked_up_by_name(harness: Harness) -> None:
    step = await agent_step_in_a_slot(harness)
    async with observed(harness) as (deps, sent):
        # the step's first attempt failed before its create went out: the retry creates at once
        await attempt(2).run(Provisioning(deps).create_agent, step)
    assert "GET /v1/sub-accounts" not in sent and sent.count("POST /v1/sub-accounts") == 1

    other = await agent_step_in_a_slot(harness)
    async with observed(harness) as (deps, sent):
        # compensated while holding a slot it made nothing in (a cancel right after taking it)
        target = CleanUp(onboarding_id=other.onboarding_id, sub_account_id=other.sub_account_id)
        await attempt(1, harness.client).run(Cleanup(deps).delete_agent_resources, target)
    assert sent == []
    assert agent_capacity.slot_of(harness.deps.engine, other.onboarding_id) is None


async def test_a_retry_after_a_create_went_out_looks_for_what_it_made(harness: Harness) -> None:
    step = await agent_step_in_a_slot(harness)
    sub, onboarding_id, engine = step.sub_account_id, step.onboarding_id, harness.deps.engine
    agent_capacity.note_create_sent(engine, onboarding_id)  # the create went out; its answer was lost
    lost = await harness.deps.providers.agents.create_sub_account(AgentSubAccountCreate(name=sub))

    made = await attempt(2).run(Provisioning(harness.deps).create_agent, step)

    assert made.agent_sub_account_id == lost.id
    slot = agent_capacity.slot_of(engine, onboarding_id)
    assert slot is not None and slot.sub_account_id == lost.id


async def test_a_purchase_whose_answer_was_lost_is_assigned_not_bought_again(harness: Harness) -> None:
    sub = await new_sub_account(harness)
    onboarding_id = f"onboarding-{uuid.uuid4().hex[:8]}"
    number = await pick_one(harness)
    carrier = harness.deps.providers.carrier
    assert number_claims.claim(harness.deps.engine, number, onboarding_id)
    await carrier.purchase_number(number)  # the answer of this purchase never reached the worker

    step = PurchaseNumber(onboarding_id=onboarding_id, sub_account_id=sub, number=number, may_repeat=False)
    assert await attempt(2).run(Provisioning(harness.deps).purchase_number, step)

    held = [n for n in await carrier.owned_numbers() if n.e164 == number]
    assert len(held) == 1 and held[0].account_id == sub
    assert await harness.provider_state(sub) == {
        "numbers": 1,
        "agents": 0,
        "agent_sub_accounts": 0,
        "kyc_status": "not_started",
        "enabled": True,
        "agent_numbers_attached": 0,
    }


async def test_a_purchase_refused_because_our_lost_attempt_bought_it_keeps_the_number(
    harness: Harness,
) -> None:
    sub = await new_sub_account(harness)
    onboarding_id = f"onboarding-{uuid.uuid4().hex[:8]}"
    number = await pick_one(harness)
    assert number_claims.claim(harness.deps.engine, number, onboarding_id)
    await harness.deps.providers.carrier.purchase_number(number)  # still landing when the retry looked

    step = PurchaseNumber(onboarding_id=onboarding_id, sub_account_id=sub, number=number, may_repeat=False)
    assert await attempt(1).run(Provisioning(harness.deps).purchase_number, step)  # its POST meets a 404

    held = [n for n in await harness.deps.providers.carrier.owned_numbers() if n.e164 == number]
    assert len(held) == 1 and held[0].account_id == sub
    assert number_claims.claimed_by(harness.deps.engine, onboarding_id) == [number]


async def test_a_run_after_a_reset_picks_the_numbers_an_earlier_run_bought_first(harness: Harness) -> None:
    sub = await new_sub_account(harness)
    onboarding_id = f"onboarding-{uuid.uuid4().hex[:8]}"
    provisioning = Provisioning(harness.deps)
    bought = await pick_one(harness)
    step = PurchaseNumber(onboarding_id=onboarding_id, sub_account_id=sub, number=bought, may_repeat=False)
    assert await attempt(1).run(provisioning.purchase_number, step)

    # the reset run has forgotten it tried ``bought``: it is picked again, and kept, not bought twice
    pick = PickNumbers(country="IN", count=2, exclude=[], onboarding_id=onboarding_id)
    picked = await attempt(1).run(provisioning.pick_numbers, pick)
    assert picked[0] == bought and len(picked) == 2
    again = step.model_copy(update={"may_repeat": True})
    assert await attempt(1).run(provisioning.purchase_number, again)
    tried = pick.model_copy(update={"exclude": [bought]})
    assert bought not in await attempt(1).run(provisioning.pick_numbers, tried)
    assert [n.e164 for n in await harness.deps.providers.carrier.owned_numbers() if n.account_id == sub] == [
        bought
    ]


async def test_a_number_another_onboarding_claimed_is_left_to_it(harness: Harness) -> None:
    sub = await new_sub_account(harness)
    number = await pick_one(harness)
    assert number_claims.claim(harness.deps.engine, number, "onboarding-someone-else")

    step = PurchaseNumber(onboarding_id="onboarding-me", sub_account_id=sub, number=number, may_repeat=False)
    assert not await attempt(1).run(Provisioning(harness.deps).purchase_number, step)

    assert number not in {n.e164 for n in await harness.deps.providers.carrier.owned_numbers()}


async def test_numbers_other_onboardings_claimed_are_not_picked_and_the_next_page_is_looked_through(
    harness: Harness,
) -> None:
    engine = harness.deps.engine
    carrier = harness.deps.providers.carrier
    first_page = [n.e164 for n in (await carrier.list_inventory("IN", per_page=50)).items]
    # every number of the first page is being bought elsewhere (some may hold a claim from an earlier test)
    ours = [e164 for e164 in first_page if number_claims.claim(engine, e164, "onboarding-buying-elsewhere")]
    step = PickNumbers(country="IN", count=2, exclude=[], onboarding_id="onboarding-me")

    try:
        picked = await attempt(1).run(Provisioning(harness.deps).pick_numbers, step)
    finally:
        for e164 in ours:
            number_claims.release(engine, e164, "onboarding-buying-elsewhere")

    assert len(picked) == 2 and not set(picked) & set(first_page)  # from the pages after it
    assert set(number_claims.claimed_by(engine, "onboarding-me")) == set(picked)  # drawn and claimed at once
    for e164 in picked:
        number_claims.release(engine, e164, "onboarding-me")


async def test_onboardings_picking_at_the_same_moment_never_draw_the_same_number(harness: Harness) -> None:
    engine = harness.deps.engine
    provisioning = Provisioning(harness.deps)
    pickers = [f"onboarding-{uuid.uuid4().hex[:8]}" for _ in range(40)]

    picks = await asyncio.gather(
        *(
            attempt(1).run(
                provisioning.pick_numbers, PickNumbers(country="IN", count=1, exclude=[], onboarding_id=o)
            )
            for o in pickers
        )
    )
    claims = {o: number_claims.claimed_by(engine, o) for o in pickers}
    for onboarding_id, [number] in claims.items():
        number_claims.release(engine, number, onboarding_id)

    assert [claims[o] for o in pickers] == picks
    assert len({number for [number] in picks}) == len(pickers)


async def test_creating_the_agent_and_its_numbers_again_makes_nothing_twice(harness: Harness) -> None:
    sub = await new_sub_account(harness)
    step = CreateAgent(onboarding_id=f"onboarding-{sub}", sub_account_id=sub, agent=SPEC)
    provisioning = Provisioning(harness.deps)

    first = await attempt(1).run(provisioning.create_agent, step)
    again = await attempt(1).run(provisioning.create_agent, step)  # e.g. after a reset
    assert again == first

    buy = BuyAgentNumbers(
        agent_sub_account_id=first.agent_sub_account_id, agent_id=first.agent_id, country="US", count=2
    )
    numbers = await attempt(1).run(provisioning.buy_agent_numbers, buy)
    assert await attempt(2).run(provisioning.buy_agent_numbers, buy) == numbers and len(numbers) == 2

    agents = harness.deps.providers.agents
    held = await agents.list_numbers(first.agent_sub_account_id)
    assert {n.phone_number for n in held} == set(numbers)
    assert all(n.agent_id == first.agent_id for n in held)
    assert [a.id for a in await agents.list_agents(first.agent_sub_account_id)] == [first.agent_id]


async def test_a_number_in_its_cool_off_is_kept_until_then_unrung_and_the_others_are_released(
    harness: Harness,
) -> None:
    sub = await new_sub_account(harness)
    onboarding_id = f"onboarding-{uuid.uuid4().hex[:8]}"
    deps = dataclasses.replace(harness.deps, trunk_group_id="e3e55a78-0000-4000-8000-00000000abcd")
    provisioning = Provisioning(deps)
    picked = await attempt(1).run(provisioning.pick_numbers, PickNumbers(country="IN", count=2, exclude=[]))
    for number in picked:
        step = PurchaseNumber(
            onboarding_id=onboarding_id, sub_account_id=sub, number=number, may_repeat=False
        )
        assert await attempt(1).run(provisioning.purchase_number, step)
    called, quiet = picked
    await harness.had_a_call(called)

    carrier = harness.deps.providers.carrier
    owned = {n.e164: n for n in await carrier.owned_numbers()}
    assert {owned[n].trunk_group_id for n in picked} == {deps.trunk_group_id}

    released = await attempt(1).run(
        Cleanup(deps).release_numbers, CleanUp(onboarding_id=onboarding_id, sub_account_id=sub)
    )

    assert released.cool_off_until is not None
    assert timedelta(days=14) < released.cool_off_until - datetime.now(UTC) <= timedelta(days=15)
    owned = {n.e164: n for n in await carrier.owned_numbers()}
    assert quiet not in owned and called in owned
    assert owned[called].trunk_group_id is None, "nothing may ring it while it waits"
    assert not (await carrier.get_sub_account(sub)).enabled
    assert number_claims.claimed_by(harness.deps.engine, onboarding_id) == [called]


async def test_a_provider_refusal_reaches_the_onboarding_with_its_message_and_no_secret(
    harness: Harness,
) -> None:
    step = CreateSubAccount(
        onboarding_id=f"onboarding-{uuid.uuid4().hex[:8]}",
        email=None,  # the provider refuses a customer_use sub-account without an email
        kyc_mode="customer_use",
        business_type="individual",
        may_repeat=False,
    )

    with pytest.raises(ApplicationError) as refused:
        await attempt(1).run(Provisioning(harness.deps).create_sub_account, step)

    assert refused.value.type == "invalid_request" and refused.value.non_retryable
    assert "email" in refused.value.message and "400" in refused.value.message
    carrier = harness.deps.providers.carrier
    assert carrier.auth_id not in refused.value.message
    assert harness.settings.carrier_auth_token.get_secret_value() not in refused.value.message
