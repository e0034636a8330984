"""Worker knobs an operator sets to stay under the provider's rate limits reach the Temporal worker."""

from __future__ import annotations

from datetime import timedelta

from temporalio.worker import PollerBehaviorSimpleMaximum

from tests.workflows.conftest import Harness
from worker.app import create_worker


async def test_the_provider_call_cap_is_queue_wide_and_off_by_default(harness: Harness) -> None:
    capped = harness.settings.model_copy(
        update={
            "task_queue": "capped",
            "provider_calls_per_second": 5.0,
            "worker_max_concurrent_activities": 7,
        }
    )
    config = create_worker(harness.client, capped, harness.deps).config()
    assert config.get("max_task_queue_activities_per_second") == 5.0
    assert config.get("max_concurrent_activities") == 7

    uncapped = harness.settings.model_copy(update={"task_queue": "uncapped"})
    default = create_worker(harness.client, uncapped, harness.deps).config()
    assert "max_task_queue_activities_per_second" in default
    assert default["max_task_queue_activities_per_second"] is None
    assert default.get("max_concurrent_activities") == 100


async def test_the_worker_polls_its_sticky_queue_first(harness: Harness) -> None:
    """Eight of ten workflow task polls on the sticky queue, and sticky tasks kept 30 s: onboardings under
    way are served before new ones, and a busy server does not time their tasks out (docs/operations.md)."""
    settings = harness.settings.model_copy(update={"task_queue": "polls"})
    config = create_worker(harness.client, settings, harness.deps).config()
    polls = config.get("workflow_task_poller_behavior")
    assert isinstance(polls, PollerBehaviorSimpleMaximum)
    ratio = config.get("nonsticky_to_sticky_poll_ratio")
    assert ratio is not None
    assert (polls.maximum, int(polls.maximum * ratio)) == (10, 2)
    assert config.get("sticky_queue_schedule_to_start_timeout") == timedelta(seconds=30)
