"""How a workflow runs a callback activity: on the callbacks task queue, retried with backoff until its
deadline. Shared by the onboarding's status callbacks and by redeliveries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from workflows.models import callback_task_queue

_CALLBACK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=2), backoff_coefficient=2.0, maximum_interval=timedelta(minutes=10)
)


def callback_activity(
    activity: Callable[..., Awaitable[None]], arg: Any, *, deadline: timedelta, summary: str
) -> Awaitable[None]:
    """Run ``activity(arg)`` on this workflow's callbacks task queue until it succeeds or ``deadline``."""
    return workflow.execute_activity_method(
        activity,
        arg,
        task_queue=callback_task_queue(workflow.info().task_queue),
        start_to_close_timeout=timedelta(seconds=60),
        schedule_to_close_timeout=deadline,
        retry_policy=_CALLBACK_RETRY,
        summary=summary,
    )
