"""What the onboarding workflow promises: the happy path, every KYC outcome, lost and duplicate
webhooks, restarts after a rejection, cancellation with nothing left behind, and deterministic replay."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from temporalio.client import WorkflowFailureError, WorkflowHandle, WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError, CancelledError
from temporalio.worker import Replayer

from activities.models import CreateAgent, CreateSubAccount, PurchaseNumber
from domain.onboarding import KycProgress, KycRestartRequest, OnboardingPolicy, OnboardingState
from store import credentials, onboardings
from tests.support.histories import boundary_failures, local_activity_markers
from tests.support.receiver import run_receiver
from tests.workflows.conftest import Harness, verdict
from worker.client import data_converter
from workflows.onboarding import CustomerOnboarding

Handle = WorkflowHandle[CustomerOnboarding, OnboardingState]


async def test_approved_customer_gets_an_unblocked_sub_account_numbers_and_an_agent(harness: Harness) -> None:
    handle = await harness.start(count=2)
    waiting = await harness.wait_for(handle, "awaiting_kyc")
    assert waiting.kyc.status == "pending" and waiting.sub_account_id
    assert waiting.kyc.flow == "email" and waiting.kyc.url is None, "the provider mails the link"
    assert waiting.next_action.actor == "customer" and waiting.next_action.code == "complete_kyc"
    assert waiting.kyc.expires_at is not None and waiting.next_action.due_by == waiting.kyc.expires_at

    await harness.decide(waiting, "approved")
    done = await handle.result()

    assert done.status == "completed" and done.kyc.status == "approved"
    assert len(done.numbers) == 2 and done.agent_id
    assert await harness.provider_state(waiting.sub_account_id) == {
        "numbers": 2,
        "agents": 1,
        "agent_sub_accounts": 1,
        "kyc_status": "verified",
        "enabled": True,
        "agent_numbers_attached": 0,
    }
    mirrored = onboardings.get_state(harness.deps.engine, done.id)
    assert mirrored is not None and mirrored.status == "completed" and mirrored.numbers == done.numbers
    token = credentials.load(harness.deps.engine, harness.deps.vault, waiting.sub_account_id)
    assert token is not None and token.get_secret_value()


async def test_the_redirect_flow_hands_out_the_link_and_progress_shows_without_moving(
    harness: Harness,
) -> None:
    handle = await harness.start(count=1, kyc_flow="redirect")
    waiting = await harness.wait_for(handle, "awaiting_kyc")
    assert waiting.kyc.flow == "redirect" and waiting.kyc.url and waiting.kyc.progress is None

    opened = progress(waiting, "kyc.initiated")
    await handle.signal(CustomerOnboarding.kyc_progress, opened)
    await handle.signal(CustomerOnboarding.kyc_progress, progress(waiting, "kyc.submitted"))
    await handle.signal(CustomerOnboarding.kyc_progress, opened)  # late and out of order: ignored
    stale = progress(waiting, "kyc.initiated").model_copy(update={"session_id": "kyc_some_older_session"})
    await handle.signal(CustomerOnboarding.kyc_progress, stale)
    live = await handle.query(CustomerOnboarding.status)  # signals are handled in order, before the query

    assert live.status == "awaiting_kyc" and live.kyc.progress == "kyc.submitted" and live.kyc.progress_at
    await harness.decide(waiting, "approved")
    done = await handle.result()
    assert done.status == "completed" and done.kyc.progress == "kyc.submitted"
    mirrored = onboardings.get_state(harness.deps.engine, handle.id)
    assert mirrored is not None and mirrored.kyc.progress == "kyc.submitted"
    replayer = Replayer(workflows=[CustomerOnboarding], data_converter=data_converter(harness.settings))
    assert (await replayer.replay_workflow(await handle.fetch_history())).replay_failure is None


def progress(state: OnboardingState, event: str) -> KycProgress:
    assert state.kyc.session_id is not None
    return KycProgress(
        event_id=f"{state.kyc.session_id}:{event}",
        session_id=state.kyc.session_id,
        event=event,
        occurred_at=datetime.now(UTC),
    )


async def test_personal_use_skips_kyc(harness: Harness) -> None:
    handle = await harness.start(kyc_mode="personal_use", count=1)
    done = await handle.result()
    assert done.status == "completed" and done.kyc.sessions_started == 0 and len(done.numbers) == 1


async def test_a_lost_webhook_is_rescued_by_polling(harness: Harness) -> None:
    handle = await harness.start(count=1)
    waiting = await harness.wait_for(handle, "awaiting_kyc")
    await harness.decide(waiting, "approved", signal=False)  # the webhook goes nowhere
    done = await handle.result()  # time skips to the next poll
    assert done.status == "completed"


async def test_duplicate_stale_and_downgrading_verdicts_are_ignored(harness: Harness) -> None:
    handle = await harness.start(count=1)
    waiting = await harness.wait_for(handle, "awaiting_kyc")
    await harness.decide(waiting, "approved")
    await handle.signal(CustomerOnboarding.kyc_result, verdict(waiting, "approved"))
    await handle.signal(CustomerOnboarding.kyc_result, verdict(waiting, "expired"))
    await handle.signal(CustomerOnboarding.kyc_result, verdict(waiting, "rejected"))
    done = await handle.result()
    assert done.status == "completed" and done.kyc.status == "approved"


async def test_rejection_then_restart_then_approval_completes(harness: Harness) -> None:
    handle = await harness.start(count=1)
    first = await harness.wait_for(handle, "awaiting_kyc")
    await harness.decide(first, "rejected")
    rejected = await harness.wait_for(handle, "kyc_rejected")
    assert rejected.kyc.status == "rejected"
    assert rejected.next_action.actor == "reseller" and rejected.next_action.code == "restart_kyc"
    assert rejected.next_action.details == {"sessions_left": 2}
    grace = rejected.updated_at + timedelta(seconds=OnboardingPolicy().kyc_rejected_grace_s)
    assert rejected.next_action.due_by == grace

    restarted = await handle.execute_update(CustomerOnboarding.restart_kyc, KycRestartRequest())
    assert restarted.kyc.sessions_started == 2 and restarted.kyc.session_id != first.kyc.session_id

    # a late verdict for the first session changes nothing
    await handle.signal(CustomerOnboarding.kyc_result, verdict(first, "approved"))
    second = await harness.wait_for(handle, "awaiting_kyc")
    await harness.decide(second, "approved")
    assert (await handle.result()).status == "completed"


async def test_a_repeated_restart_joins_the_one_under_way(harness: Harness) -> None:
    handle = await harness.start(count=1)
    first = await harness.wait_for(handle, "awaiting_kyc")
    await harness.decide(first, "rejected")
    await harness.wait_for(handle, "kyc_rejected")

    # the new session is slow to start: a client that lost its answer asks again meanwhile
    await harness.set_faults({"latency_ms": 1000, "routes": ["/api/v1/sub-accounts"]})
    answers = await asyncio.gather(
        *(handle.execute_update(CustomerOnboarding.restart_kyc, KycRestartRequest()) for _ in range(2))
    )
    await harness.set_faults(None)

    assert {a.kyc.session_id for a in answers} == {answers[0].kyc.session_id}
    assert [a.kyc.sessions_started for a in answers] == [2, 2]
    await handle.cancel()


async def test_restart_is_refused_unless_rejected(harness: Harness) -> None:
    handle = await harness.start(count=1)
    await harness.wait_for(handle, "awaiting_kyc")
    with pytest.raises(WorkflowUpdateFailedError) as refused:
        await handle.execute_update(CustomerOnboarding.restart_kyc, KycRestartRequest())
    assert "only be restarted after a rejection" in str(refused.value.cause)
    await handle.cancel()


async def test_rejected_in_every_session_fails_and_cleans_up(harness: Harness) -> None:
    handle = await harness.start(count=1, policy=OnboardingPolicy(max_kyc_sessions=2))
    first = await harness.wait_for(handle, "awaiting_kyc")
    await harness.decide(first, "rejected")
    await harness.wait_for(handle, "kyc_rejected")
    await handle.execute_update(CustomerOnboarding.restart_kyc, KycRestartRequest())
    second = await harness.wait_for(handle, "awaiting_kyc")
    await harness.decide(second, "rejected")
    await _assert_failed(handle, "kyc_rejected")
    assert first.sub_account_id and await harness.provider_state(first.sub_account_id) is None
    mirrored = onboardings.get_state(harness.deps.engine, first.id)
    assert mirrored is not None and mirrored.status == "failed" and mirrored.error
    assert mirrored.error.type == "kyc_rejected"
    assert mirrored.next_action.actor == "operator"
    assert mirrored.next_action.details == {"error_type": "kyc_rejected"}


async def test_no_restart_within_the_grace_period_fails(harness: Harness) -> None:
    handle = await harness.start(count=1)
    waiting = await harness.wait_for(handle, "awaiting_kyc")
    await harness.decide(waiting, "rejected")
    await _assert_failed(handle, "kyc_rejected")  # time skips through 30 days of grace
    assert waiting.sub_account_id and await harness.provider_state(waiting.sub_account_id) is None


async def test_an_expired_session_ends_kyc_expired_with_nothing_left(harness: Harness) -> None:
    handle = await harness.start(count=1)
    waiting = await harness.wait_for(handle, "awaiting_kyc")
    done = await handle.result()  # nobody opens the link: time skips past the 7 days
    assert done.status == "kyc_expired" and done.kyc.status == "expired"
    assert waiting.sub_account_id and await harness.provider_state(waiting.sub_account_id) is None


async def test_cancel_while_awaiting_kyc_compensates(harness: Harness) -> None:
    handle = await harness.start(count=1)
    waiting = await harness.wait_for(handle, "awaiting_kyc")
    await handle.cancel()
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    assert isinstance(failure.value.cause, CancelledError)
    assert waiting.sub_account_id and await harness.provider_state(waiting.sub_account_id) is None
    mirrored = onboardings.get_state(harness.deps.engine, waiting.id)
    assert mirrored is not None and mirrored.status == "cancelled"


async def test_histories_replay_deterministically(harness: Harness) -> None:
    handle = await harness.start(count=1)
    waiting = await harness.wait_for(handle, "awaiting_kyc")
    await harness.decide(waiting, "rejected")
    await harness.wait_for(handle, "kyc_rejected")
    await handle.execute_update(CustomerOnboarding.restart_kyc, KycRestartRequest())
    second = await harness.wait_for(handle, "awaiting_kyc")
    await harness.decide(second, "approved")
    await handle.result()
    history = await handle.fetch_history()
    replayer = Replayer(workflows=[CustomerOnboarding], data_converter=data_converter(harness.settings))
    await replayer.replay_workflow(history)

    # and however the status writes (local activities) fall against the workflow tasks: the SDK closes a
    # task with the marker of a local activity that finishes as the task completes, and the commands after
    # it go in the next task
    assert len(local_activity_markers(history)) >= 10, "a status write per step"
    assert await boundary_failures(replayer, history) == {}


async def _assert_failed(handle: Handle, error_type: str) -> None:
    with pytest.raises(WorkflowFailureError) as failure:
        await handle.result()
    cause = failure.value.cause
    assert isinstance(cause, ApplicationError) and cause.type == error_type


#: Each step made slow at the provider (latency on its routes), so the cancel lands while it runs.
STEPS = [
    ("creating_sub_account", ["/api/v1/accounts"], False),
    ("starting_kyc", ["/api/v1/sub-accounts"], False),
    ("unblocking_calls", ["/api/v1/sub-accounts", "/api/v1/accounts"], True),
    ("buying_numbers", ["/api/v1/Account", "/api/v1/account"], True),
    ("creating_agent", ["/v1/sub-accounts", "/v1/agents"], True),
]


@pytest.mark.parametrize(("step", "routes", "after_kyc"), STEPS, ids=[s[0] for s in STEPS])
async def test_cancel_during_each_step_leaves_nothing_behind(
    harness: Harness, step: str, routes: list[str], after_kyc: bool
) -> None:
    before = await harness.provider_totals()
    slow = {"latency_ms": 1200, "routes": routes}
    try:
        if not after_kyc:
            await harness.set_faults(slow)
        handle = await harness.start(count=2)
        if after_kyc:
            waiting = await harness.wait_for(handle, "awaiting_kyc")
            await harness.set_faults(slow)
            await harness.decide(waiting, "approved")
        await harness.wait_for(handle, step)
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failure:
            await handle.result()
        assert isinstance(failure.value.cause, CancelledError)
    finally:
        await harness.set_faults(None)
    assert await harness.provider_totals() == before
    mirrored = onboardings.get_state(harness.deps.engine, handle.id)
    assert mirrored is not None and mirrored.status == "cancelled"


async def test_a_first_run_asks_its_creating_steps_to_create_without_looking_up_first(
    harness: Harness,
) -> None:
    handle = await harness.start(kyc_mode="personal_use", count=1)
    await handle.result()

    history = await handle.fetch_history()
    scheduled = [
        event.activity_task_scheduled_event_attributes
        for event in history.events
        if event.HasField("activity_task_scheduled_event_attributes")
    ]
    steps = {
        "create_sub_account": CreateSubAccount,
        "purchase_number": PurchaseNumber,
        "create_agent": CreateAgent,
    }
    decoded = [
        (await harness.client.data_converter.decode(s.input.payloads, [steps[s.activity_type.name]]))[0]
        for s in scheduled
        if s.activity_type.name in steps
    ]
    assert {type(step) for step in decoded} == set(steps.values())
    assert all(step.may_repeat is False for step in decoded)


async def test_a_cleanup_that_keeps_failing_ends_failed_for_an_operator(harness: Harness) -> None:
    handle = await harness.start(count=1, policy=OnboardingPolicy(cleanup_deadline_s=8))
    waiting = await harness.wait_for(handle, "awaiting_kyc")
    await harness.set_faults({"error_rate": 1.0, "routes": ["/api/v1/"]})  # the carrier is down for good
    try:
        await handle.cancel()
        with pytest.raises(WorkflowFailureError) as failed:
            await harness.result(handle)
    finally:
        await harness.set_faults(None)

    assert isinstance(failed.value.cause, ApplicationError) and failed.value.cause.type == "cleanup_failed"
    mirrored = onboardings.get_state(harness.deps.engine, handle.id)
    assert mirrored is not None and mirrored.status == "failed" and mirrored.error is not None
    assert mirrored.error.type == "cleanup_failed"
    action = mirrored.next_action
    assert (action.actor, action.code) == ("operator", "clean_up_by_hand")
    assert action.details["sub_account_id"] == waiting.sub_account_id


async def test_progress_with_the_providers_documents_says_what_the_customer_still_owes(
    harness: Harness,
) -> None:
    handle = await harness.start(count=1)  # a private limited company: PAN, and GST or CIN
    waiting = await harness.wait_for(handle, "awaiting_kyc")
    assert waiting.next_action.details["documents_missing"] == "pan, gst or cin"
    submitted = progress(waiting, "kyc.submitted").model_copy(
        update={"documents": {"pan": "verified", "gst": "failed", "cin": "not_started"}}
    )
    await handle.signal(CustomerOnboarding.kyc_progress, submitted)

    live = await handle.query(CustomerOnboarding.status)
    assert live.next_action.details["documents_missing"] == "gst or cin"
    assert live.next_action.details["documents_failed"] == "gst"
    await handle.cancel()


async def test_each_status_change_upserts_the_search_attributes_once(harness: Harness) -> None:
    handle = await harness.start(count=2)
    await harness.decide(await harness.wait_for(handle, "awaiting_kyc"), "approved")
    await handle.result()

    upserts = [
        event.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        async for event in handle.fetch_history_events()
        if event.HasField("upsert_workflow_search_attributes_event_attributes")
    ]
    upserted = [
        {key: value.data.decode() for key, value in fields.items()}
        for fields in upserts
        if "TemporalChangeVersion" not in fields  # a patch's own
    ]
    statuses = [fields.pop("OnboardingStatus").strip('"') for fields in upserted]
    assert statuses == [
        "creating_sub_account",
        "starting_kyc",
        "awaiting_kyc",
        "unblocking_calls",
        "buying_numbers",  # once, though each number bought is mirrored
        "creating_agent",
        "completed",
    ]
    assert [set(fields) for fields in upserted] == [
        {"KycStatus"},  # started without search attributes, unlike the API's starts
        {"SubAccountId"},  # created since, the KYC status unchanged
        {"KycStatus"},
        {"KycStatus"},
        set(),
        set(),
        set(),
    ]


@pytest.mark.parametrize(
    ("recorded", "writes"),
    [(True, 7), (False, 8)],
    ids=["stored-by-its-starter", "started-from-temporal"],
)
async def test_each_status_is_written_once_and_the_last_number_with_the_next_status(
    harness: Harness, recorded: bool, writes: int
) -> None:
    engine = harness.deps.engine
    with run_receiver() as receiver:
        handle = await harness.start(count=2, recorded=recorded, callback_url=receiver.url)
        if recorded:  # the record the API answered with, before the workflow wrote anything
            assert onboardings.get_state(engine, handle.id) is not None
        await harness.decide(await harness.wait_for(handle, "awaiting_kyc"), "approved")
        done = await harness.result(handle)

    mirrored = onboardings.get_state(engine, done.id)
    assert mirrored is not None and mirrored.model_dump() == done.model_dump()
    assert onboardings.callback_url(engine, done.id) == receiver.url  # for the lifecycle's callbacks
    # starting_kyc, awaiting_kyc, unblocking_calls, buying_numbers and the first number, creating_agent with
    # the second, completed; and creating_sub_account, unless the starter stored it
    assert len(local_activity_markers(await handle.fetch_history())) == writes
    # the reseller hears of every change all the same, each number bought too
    assert [delivery.event["data"]["status"] for delivery in receiver.accepted()] == [
        "creating_sub_account",
        "starting_kyc",
        "awaiting_kyc",
        "unblocking_calls",
        *["buying_numbers"] * 3,
        "creating_agent",
        "completed",
    ]
