"""A database slower than a workflow task: the status write leaves the workflow task and the history
still replays."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy.engine import Engine
from temporalio.api.enums.v1 import EventType
from temporalio.client import WorkflowFailureError, WorkflowHistory
from temporalio.worker import Replayer

from domain.onboarding import OnboardingState
from store import onboardings
from tests.workflows.conftest import Harness
from worker.client import data_converter
from workflows.mirror import LOCAL_BOUND
from workflows.onboarding import CustomerOnboarding

#: Longer than the local write may take, shorter than the SDK's workflow task heartbeat (8 s).
SLOW_WRITE_S = 6.0


async def test_a_slow_status_write_moves_to_an_activity_and_the_history_replays(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    save_state = onboardings.save_state

    def slow_save_state(engine: Engine, state: OnboardingState, callback_url: str | None = None) -> None:
        if state.status == "awaiting_kyc":
            time.sleep(SLOW_WRITE_S)
        save_state(engine, state, callback_url)

    monkeypatch.setattr(onboardings, "save_state", slow_save_state)  # as the worker's activities use it
    handle = await harness.start(count=1)
    await harness.wait_for(handle, "awaiting_kyc")
    await handle.cancel()
    with pytest.raises(WorkflowFailureError):
        await handle.result()

    history = await handle.fetch_history()
    assert "mirror_state" in scheduled_activities(history)
    assert longest_workflow_task(history) < LOCAL_BOUND + timedelta(seconds=1)
    stored = onboardings.get_state(harness.deps.engine, handle.id)
    assert stored is not None and stored.status == "cancelled"  # the late write of the first try lost
    replayer = Replayer(workflows=[CustomerOnboarding], data_converter=data_converter(harness.settings))
    await replayer.replay_workflow(history)


def scheduled_activities(history: WorkflowHistory) -> list[str]:
    return [
        event.activity_task_scheduled_event_attributes.activity_type.name
        for event in history.events
        if event.event_type == EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED
    ]


def longest_workflow_task(history: WorkflowHistory) -> timedelta:
    """The longest time from a workflow task's start to its completion."""
    longest = timedelta(0)
    started = None
    for event in history.events:
        if event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
            started = event.event_time.ToDatetime()
        elif event.event_type == EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED and started is not None:
            longest = max(longest, event.event_time.ToDatetime() - started)
    return longest
