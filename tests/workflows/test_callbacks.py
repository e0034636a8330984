"""Status callbacks: the reseller's backend hears of every status change, in order, signed with its own
secret, once per event id however often its endpoint failed; the onboarding never waits on it."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError
from temporalio.client import WorkflowExecutionStatus, WorkflowFailureError, WorkflowHandle
from temporalio.worker import Replayer

from callbacks.signing import CallbackSigner
from domain.onboarding import OnboardingState
from tests.support.hostile import run_hostile_endpoint
from tests.support.receiver import WebhookReceiver, run_receiver
from tests.workflows.conftest import Harness
from worker.app import serving
from worker.client import data_converter
from workflows.onboarding import CustomerOnboarding


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with run_receiver() as running:
        yield running


def statuses(receiver: WebhookReceiver) -> list[str]:
    return [d.event["data"]["status"] for d in receiver.accepted()]


async def test_every_status_change_reaches_the_reseller_in_order_and_signed(
    harness: Harness, receiver: WebhookReceiver
) -> None:
    handle = await harness.start(count=1, callback_url=receiver.url)
    waiting = await harness.wait_for(handle, "awaiting_kyc")
    await harness.decide(waiting, "approved")
    done = await handle.result()

    assert statuses(receiver) == [
        "creating_sub_account",
        "starting_kyc",
        "awaiting_kyc",
        "unblocking_calls",
        "buying_numbers",
        "buying_numbers",
        "creating_agent",
        "completed",
    ]
    delivered = receiver.accepted()
    assert [d.headers["webhook-id"] for d in delivered] == [f"{done.id}:{n}" for n in range(1, 9)]
    assert all(d.event["type"] == "onboarding.status_changed" for d in delivered)
    assert delivered[2].event["data"]["kyc"]["url"] == waiting.kyc.url  # the link to send the customer
    last = delivered[-1].event["data"]
    assert last == {**done.model_dump(mode="json"), "links": last["links"]}
    ui = f"http://127.0.0.1:{harness.settings.temporal_ui_port}"
    assert last["links"] == {  # for operators; no lifecycle yet
        "temporal_ui": f"{ui}/namespaces/default/workflows/{done.id}",
        "customer_temporal_ui": None,
    }

    [secret] = CallbackSigner(harness.settings.callback_signing_keys).secrets_for("default")
    for delivery in delivered:
        Webhook(secret).verify(delivery.body, delivery.headers)
    another_reseller = CallbackSigner(harness.settings.callback_signing_keys).secrets_for("other")[0]
    with pytest.raises(WebhookVerificationError):
        Webhook(another_reseller).verify(delivered[0].body, delivered[0].headers)


async def test_a_failing_endpoint_gets_each_event_again_under_the_same_id(
    harness: Harness, receiver: WebhookReceiver
) -> None:
    receiver.statuses = [503, 503, 503]
    handle = await harness.start(kyc_mode="personal_use", count=1, callback_url=receiver.url)
    done = await handle.result()
    await replay(harness, handle)

    assert done.status == "completed"
    first_event = receiver.received[:4]
    assert [d.answered for d in first_event] == [503, 503, 503, 204]
    assert {d.headers["webhook-id"] for d in first_event} == {f"{done.id}:1"}
    assert statuses(receiver) == [
        "creating_sub_account",
        "unblocking_calls",
        "buying_numbers",
        "buying_numbers",
        "creating_agent",
        "completed",
    ]


async def test_a_cancelled_onboarding_reports_cancelled_before_it_closes(
    harness: Harness, receiver: WebhookReceiver
) -> None:
    handle = await harness.start(count=1, callback_url=receiver.url)
    await harness.wait_for(handle, "awaiting_kyc")
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()

    assert statuses(receiver)[-2:] == ["cancelling", "cancelled"]
    assert receiver.accepted()[-1].event["data"]["sub_account_id"] is not None
    await replay(harness, handle)


async def test_the_onboarding_goes_on_while_the_endpoint_hangs(
    harness: Harness, receiver: WebhookReceiver
) -> None:
    receiver.open.clear()
    handle = await harness.start(kyc_mode="personal_use", count=1, callback_url=receiver.url)
    completed = await harness.wait_for(handle, "completed")  # the first callback is still unanswered
    assert receiver.received == []
    assert (await handle.describe()).status == WorkflowExecutionStatus.RUNNING

    receiver.open.set()
    assert await handle.result() == completed
    assert statuses(receiver)[-1] == "completed"


async def test_a_cancel_after_the_onboarding_ended_gives_up_the_callbacks_left(
    harness: Harness, receiver: WebhookReceiver
) -> None:
    receiver.open.clear()
    handle = await harness.start(kyc_mode="personal_use", count=1, callback_url=receiver.url)
    await harness.wait_for(handle, "completed")
    await handle.cancel()

    done = await handle.result()  # not cancelled: nothing is undone once the onboarding is over
    assert done.status == "completed"
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    await replay(harness, handle)


async def replay(harness: Harness, handle: WorkflowHandle[CustomerOnboarding, OnboardingState]) -> None:
    """The history, with its callbacks interleaved with the steps, replays without nondeterminism."""
    replayer = Replayer(workflows=[CustomerOnboarding], data_converter=data_converter(harness.settings))
    await replayer.replay_workflow(await handle.fetch_history())


async def test_hostile_endpoints_hold_only_callback_slots_and_leave_the_worker_memory_flat(
    harness: Harness,
) -> None:
    """Endpoints answering 100 MB or dripping bytes, on a worker with two slots for provider calls and two
    for callbacks: another onboarding goes on at full speed, and the worker's memory barely moves."""
    tight = harness.settings.model_copy(
        update={
            "task_queue": f"tight-{uuid.uuid4().hex[:8]}",
            "worker_max_concurrent_activities": 2,
            "callback_max_concurrent": 2,
        }
    )
    squeezed = dataclasses.replace(harness, settings=tight)
    with run_hostile_endpoint() as hostile, ResidentMemory() as memory:
        async with serving(harness.client, tight, harness.deps):
            hostile_runs = [
                await squeezed.start(count=1, callback_url=f"{hostile.base_url}/{path}")
                for path in ("huge", "huge", "drip", "drip")
            ]
            plain = await squeezed.start(count=1)
            started = time.monotonic()
            await squeezed.wait_for(plain, "awaiting_kyc")
            took = time.monotonic() - started
            await asyncio.to_thread(hostile.wait_for, "/huge", 2)
            for handle in [*hostile_runs, plain]:
                await handle.terminate("test over")
    assert took < 5.0
    assert hostile.requests["/drip"] >= 1
    assert memory.growth < 50 * 1024 * 1024, f"resident memory grew by {memory.growth} bytes"


class ResidentMemory:
    """Samples this process's resident set every 5 ms inside the block; ``growth`` is its peak above the
    start."""

    def __init__(self) -> None:
        self.growth = 0
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._start = _resident_bytes()

    def __enter__(self) -> ResidentMemory:
        self._sampler.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sampler.join()

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.growth = max(self.growth, _resident_bytes() - self._start)


def _resident_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
