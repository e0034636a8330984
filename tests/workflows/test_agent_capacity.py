"""Agent-platform capacity: onboardings take sub-account slots in the configured master accounts, skip an
account the platform says is full, wait in ``awaiting_agent_capacity`` while every account is full, and go
on by themselves once a slot is given back (a customer offboarded through its lifecycle workflow, an
onboarding cancelled). Real activities, sandbox, SQLite and Temporal test server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from google.protobuf.message import Message
from sqlalchemy import Engine
from temporalio.api.common.v1 import Payload
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from config import DEV_AGENTS_API_KEY
from domain import search_attributes as attrs
from domain.onboarding import OnboardingPolicy, OnboardingState
from store import agent_capacity, onboardings
from tests.support.processes import run_sandbox
from tests.workflows.conftest import Harness, worker_harness
from workflows.onboarding import CustomerOnboarding

Handle = WorkflowHandle[CustomerOnboarding, OnboardingState]
SECOND_KEY = "sk_test_second_master_key"
#: only a signal wakes a waiting onboarding within a test (the re-check is a month away)
SIGNAL_ONLY = OnboardingPolicy(agent_capacity_recheck_s=30 * 86400)


@asynccontextmanager
async def capacity_harness(
    env: WorkflowEnvironment, data_dir: Path, **sandbox_settings: str
) -> AsyncIterator[Harness]:
    """A sandbox with ``sandbox_settings`` (its accounts and limits) and a worker planning with them."""
    with run_sandbox(data_dir / "sandbox", port=None, **sandbox_settings) as sandbox:
        async with worker_harness(env, sandbox, data_dir) as harness:
            yield harness


async def start(harness: Harness, numbers_provider: str = "carrier") -> Handle:
    """An onboarding straight to its agent step (no KYC), woken only by signals while it waits."""
    return await harness.start(
        kyc_mode="personal_use", count=1, policy=SIGNAL_ONLY, numbers_provider=numbers_provider
    )


async def settled(harness: Harness, handle: Handle, *statuses: str) -> OnboardingState:
    """Query until the onboarding is in one of ``statuses`` (queries never skip the server's time)."""
    for _ in range(600):
        state = await handle.query(CustomerOnboarding.status)
        if state.status in statuses:
            return state
        await asyncio.sleep(0.05)
    raise AssertionError(f"never reached {statuses}: {state}")


def completed(harness: Harness, onboarding_id: str) -> OnboardingState:
    """The completed onboarding's status document as stored, which the API hands the lifecycle."""
    state = onboardings.get_state(harness.deps.engine, onboarding_id)
    assert state is not None and state.status == "completed", state
    return state


def held_account(engine: Engine, onboarding_id: str) -> str | None:
    """The account whose slot the onboarding holds, or None."""
    slot = agent_capacity.slot_of(engine, onboarding_id)
    return None if slot is None else slot.account


async def sandbox_state(harness: Harness) -> dict[str, object]:
    async with httpx.AsyncClient(base_url=harness.sandbox.url) as http:
        found: dict[str, object] = (await http.get("/_sandbox/state")).json()
    return found


async def test_with_two_slots_three_of_five_wait_and_finish_once_three_customers_are_offboarded(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with capacity_harness(env, tmp_path, sandbox_agent_sub_account_limit="2") as harness:
        handles = [await start(harness) for _ in range(5)]
        states = [await settled(harness, h, "completed", "awaiting_agent_capacity") for h in handles]
        done = [s for s in states if s.status == "completed"]
        waiting = [s for s in states if s.status == "awaiting_agent_capacity"]
        assert len(done) == 2 and len(waiting) == 3
        assert {s.agent_account for s in done} == {"default"}
        for state in waiting:
            assert state.next_action.actor == "operator" and state.next_action.code == "add_agent_capacity"
            assert state.agent_id is None and state.agent_account is None
            described = await harness.client.get_workflow_handle(state.id).describe()
            assert described.typed_search_attributes.get(attrs.ONBOARDING_STATUS) == "awaiting_agent_capacity"
            mirrored = onboardings.get_state(harness.deps.engine, state.id)
            assert mirrored is not None and mirrored.status == "awaiting_agent_capacity"
        [use] = agent_capacity.usage(harness.deps.engine, ["default"])
        assert (use.name, use.used, use.limit) == ("default", 2, 2)
        assert agent_capacity.waiting_count(harness.deps.engine) == 3

        holders = [s.id for s in done]
        left = {s.id: h for h in handles for s in waiting if s.id == h.id}
        for _ in range(3):
            # the longest holding customer is offboarded: its slot wakes one waiting onboarding
            gone = await harness.offboard(completed(harness, holders.pop(0)), env)
            assert gone.sub_account_id and await harness.provider_state(gone.sub_account_id) is None
            assert held_account(harness.deps.engine, gone.id) is None
            woken = await one_completes(left)
            holders.append(woken)
            del left[woken]
            for handle in left.values():  # the others went back to waiting
                assert (await settled(harness, handle, "awaiting_agent_capacity")).agent_id is None
            assert agent_capacity.usage(harness.deps.engine, ["default"])[0].used == 2
        assert agent_capacity.waiting_count(harness.deps.engine) == 0
        assert sorted(held_account(harness.deps.engine, h) or "" for h in holders) == [
            "default",
            "default",
        ]
        side = await sandbox_state(harness)
        assert side["agent_sub_accounts"] == 2 and side["sub_accounts"] == 2


async def one_completes(handles: dict[str, Handle]) -> str:
    """The id of the first of ``handles`` to complete."""
    for _ in range(600):
        for onboarding_id, handle in handles.items():
            state = await handle.query(CustomerOnboarding.status)
            if state.status == "completed":
                assert state.agent_account == "default" and state.agent_id
                return onboarding_id
        await asyncio.sleep(0.05)
    raise AssertionError("no waiting onboarding completed after a slot was freed")


async def test_accounts_are_used_in_turn_a_full_one_is_skipped_and_keys_stay_out_of_history(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with capacity_harness(
        env,
        tmp_path,
        agents_accounts=f"second:{SECOND_KEY}",
        sandbox_agent_sub_account_limit="2",
        # the platform holds fewer in `default` than we plan with: its limit answer marks it full
        sandbox_agent_sub_account_limits='{"default": 1}',
    ) as harness:
        first = await start(harness)
        assert (await settled(harness, first, "completed")).agent_account == "default"
        second = await start(harness, "agent_platform")
        in_second = await settled(harness, second, "completed")
        assert in_second.agent_account == "second" and len(in_second.numbers) == 1
        third = await start(harness)
        assert (await settled(harness, third, "completed")).agent_account == "second"
        fourth = await start(harness)
        await settled(harness, fourth, "awaiting_agent_capacity")

        use = {u.name: u for u in agent_capacity.usage(harness.deps.engine, ["default", "second"])}
        assert use["default"].full_since is not None and use["default"].used == 1
        assert use["second"].used == 2 and use["second"].full_since is None
        assert (await sandbox_state(harness))["agent_sub_accounts_by_account"] == {"default": 1, "second": 2}

        # offboarding a customer of `default` gives its slot back, which lifts the account's full mark,
        # and the waiting onboarding takes it
        await harness.offboard(completed(harness, first.id), env)
        assert (await settled(harness, fourth, "completed")).agent_account == "default"
        # offboarding in `second` uses its own key: the sub-account and its numbers are gone
        await harness.offboard(completed(harness, second.id), env)
        assert (await sandbox_state(harness))["agent_sub_accounts_by_account"] == {"default": 1, "second": 1}

        for handle in (first, second, third, fourth):
            text = await decoded_history(harness.client, handle.id)
            assert SECOND_KEY not in text and DEV_AGENTS_API_KEY not in text
        assert '"account":"second"' in (await decoded_history(harness.client, second.id)).replace(" ", "")


async def test_an_onboarding_waiting_for_capacity_can_be_cancelled(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with capacity_harness(env, tmp_path, sandbox_agent_sub_account_limit="1") as harness:
        holder = await start(harness)
        await settled(harness, holder, "completed")
        waiting = await start(harness)
        state = await settled(harness, waiting, "awaiting_agent_capacity")
        await waiting.cancel()
        await settled(harness, waiting, "cancelled")
        assert state.sub_account_id and await harness.provider_state(state.sub_account_id) is None
        assert held_account(harness.deps.engine, holder.id) == "default"
        assert held_account(harness.deps.engine, waiting.id) is None


async def decoded_history(client: Client, workflow_id: str) -> str:
    """The workflow's whole history as text with every payload decoded through the codec (inputs,
    results, failures, memos): what an operator with the codec key can read."""
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    payloads = [p for event in history.events for p in _payloads(event)]
    codec = client.data_converter.payload_codec
    assert codec is not None
    decoded = await codec.decode(payloads)
    return history.to_json() + "".join(p.data.decode(errors="replace") for p in decoded)


def _payloads(message: Message) -> Iterator[Payload]:
    if isinstance(message, Payload):
        yield message
        return
    for field, value in message.ListFields():
        if field.message_type is None:
            continue
        if field.message_type.GetOptions().map_entry:
            values = list(value.values())
        elif isinstance(value, Iterable):
            values = list(value)
        else:
            values = [value]
        for item in values:
            if isinstance(item, Message):
                yield from _payloads(item)


async def test_a_waiting_onboarding_looks_again_by_itself_when_no_signal_comes(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with capacity_harness(env, tmp_path, sandbox_agent_sub_account_limit="1") as harness:
        holder = await start(harness)
        held = await settled(harness, holder, "completed")
        waiting = await harness.start(
            kyc_mode="personal_use", count=1, policy=OnboardingPolicy(agent_capacity_recheck_s=600)
        )
        await settled(harness, waiting, "awaiting_agent_capacity")
        # the slot comes free behind the workflow's back: no signal is sent
        agents = harness.deps.providers.agents
        sub_account = await agents.find_sub_account_by_name(held.sub_account_id or "")
        assert sub_account is not None
        await agents.delete_sub_account(sub_account.id)
        assert agent_capacity.release(harness.deps.engine, holder.id) == "default"

        done = await waiting.result()  # the test server skips to the re-check
        assert done.status == "completed" and done.agent_account == "default"


async def test_cancelling_an_onboarding_that_holds_a_slot_lets_a_waiting_one_finish(
    env: WorkflowEnvironment, tmp_path: Path
) -> None:
    async with capacity_harness(env, tmp_path, sandbox_agent_sub_account_limit="1") as harness:
        # the holder's agent-platform numbers cannot be bought: it holds its slot while it keeps trying
        await harness.set_faults({"error_rate": 1.0, "routes": ["/v1/numbers"]})
        holder = await start(harness, "agent_platform")
        assert (await settled(harness, holder, "buying_numbers")).agent_account == "default"
        waiting = await start(harness)
        await settled(harness, waiting, "awaiting_agent_capacity")

        await holder.cancel()
        await harness.set_faults(None)  # so its compensation can list and release what it holds

        assert (await settled(harness, holder, "cancelled")).agent_account is None
        done = await settled(harness, waiting, "completed")
        assert done.agent_account == "default" and done.agent_id
        assert held_account(harness.deps.engine, holder.id) is None
        assert (await sandbox_state(harness))["agent_sub_accounts"] == 1
