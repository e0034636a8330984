"""Worker knobs an operator sets to stay under the provider's rate limits reach the Temporal worker."""

from __future__ import annotations

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
