"""KYC reminders: durable timers before a hosted session expires send ``onboarding.kyc_reminder``
callbacks on the policy's schedule; in the email flow an unopened link is mailed again by a fresh session
with the same deadline, and a link the customer already opened is left alone."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from temporalio.client import WorkflowHandle
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import Replayer

from domain.onboarding import OnboardingPolicy, OnboardingState
from tests.support.processes import Sandbox
from tests.support.receiver import WebhookReceiver, run_receiver
from tests.workflows.conftest import Harness, time_skipping_env, worker_harness
from tests.workflows.test_onboarding_workflow import progress
from worker.client import data_converter
from workflows.onboarding import CustomerOnboarding

DAY = timedelta(days=1)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with run_receiver() as running:
        yield running


@pytest.fixture
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """A time-skipping server per test: each test skips days, which would put the next one's workflow
    clock that far ahead of the sandbox's session expiries."""
    async with time_skipping_env() as environment:
        yield environment


@pytest.fixture
async def harness(env: WorkflowEnvironment, sandbox: Sandbox, tmp_path: Path) -> AsyncIterator[Harness]:
    async with worker_harness(env, sandbox, tmp_path) as running:
        yield running


async def test_reminders_fire_on_schedule_with_the_link_until_the_session_expires(
    harness: Harness, receiver: WebhookReceiver
) -> None:
    policy = OnboardingPolicy(kyc_reminders_before_s=[2 * 86400, 86400, 30 * 86400])  # 30 days: never
    handle = await harness.start(count=1, kyc_flow="redirect", callback_url=receiver.url, policy=policy)
    waiting = await harness.wait_for(handle, "awaiting_kyc")
    assert waiting.kyc.expires_at is not None
    done = await handle.result()  # nobody opens the link: time skips past the expiry
    assert done.status == "kyc_expired"

    events = [d.event for d in receiver.accepted()]
    reminders = [e for e in events if e["type"] == "onboarding.kyc_reminder"]
    assert [r["data"]["kyc"]["reminders_sent"] for r in reminders] == [1, 2]
    assert all(r["data"]["kyc"]["url"] == waiting.kyc.url for r in reminders), "the redirect link, unchanged"
    assert all(r["data"]["next_action"]["code"] == "complete_kyc" for r in reminders)
    sent_at = [datetime.fromisoformat(r["timestamp"]) for r in reminders]
    for at, before in zip(sent_at, (2 * DAY, DAY), strict=True):
        assert abs(at - (waiting.kyc.expires_at - before)) < timedelta(minutes=1)
    ids = [d.headers["webhook-id"] for d in receiver.accepted()]
    assert ids == [f"{done.id}:{n}" for n in range(1, len(ids) + 1)]
    await replay(harness, handle)


async def test_an_unopened_email_link_is_mailed_again_by_a_fresh_session_with_the_same_deadline(
    harness: Harness, env: WorkflowEnvironment
) -> None:
    handle = await harness.start(count=1)
    first = await harness.wait_for(handle, "awaiting_kyc")
    assert first.kyc.expires_at is not None
    await env.sleep(5 * DAY + timedelta(hours=1))  # past the reminder two days before expiry

    renewed = await handle.query(CustomerOnboarding.status)
    assert renewed.status == "awaiting_kyc" and renewed.kyc.reminders_sent == 1
    assert renewed.kyc.session_id != first.kyc.session_id
    assert renewed.kyc.sessions_started == first.kyc.sessions_started, "not one of the sessions allowed"
    assert renewed.kyc.expires_at is not None
    assert abs(renewed.kyc.expires_at - first.kyc.expires_at) < timedelta(minutes=1)

    await harness.decide(renewed, "approved")
    assert (await handle.result()).status == "completed"
    await replay(harness, handle)


async def test_a_link_the_customer_opened_is_not_replaced(harness: Harness, env: WorkflowEnvironment) -> None:
    handle = await harness.start(count=1)
    first = await harness.wait_for(handle, "awaiting_kyc")
    await handle.signal(CustomerOnboarding.kyc_progress, progress(first, "kyc.initiated"))
    await env.sleep(5 * DAY + timedelta(hours=1))

    reminded = await handle.query(CustomerOnboarding.status)
    assert reminded.kyc.reminders_sent == 1 and reminded.kyc.session_id == first.kyc.session_id
    await harness.decide(reminded, "approved")
    assert (await handle.result()).status == "completed"


async def replay(harness: Harness, handle: WorkflowHandle[CustomerOnboarding, OnboardingState]) -> None:
    history = await handle.fetch_history()
    replayer = Replayer(workflows=[CustomerOnboarding], data_converter=data_converter(harness.settings))
    assert (await replayer.replay_workflow(history)).replay_failure is None
