"""Provider steps as the onboarding and lifecycle workflows run them: the standard timeouts and retries,
and the release of carrier numbers that waits out the carrier's unassign cool-off."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.errors import NON_RETRYABLE_TYPES
    from activities.models import NumbersReleased
    from domain.onboarding import OnboardingPolicy

T = TypeVar("T")

PROVIDER_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
    non_retryable_error_types=NON_RETRYABLE_TYPES,
)


def provider_activity(
    activity: Callable[..., Awaitable[T]],
    arg: Any,
    *,
    policy: OnboardingPolicy,
    summary: str,
    deadline: timedelta,
) -> Awaitable[T]:
    """A provider activity with the policy's step timeout and the standard retries, until ``deadline``."""
    return workflow.execute_activity_method(
        activity,
        arg,
        start_to_close_timeout=timedelta(seconds=policy.step_timeout_s),
        schedule_to_close_timeout=deadline,
        retry_policy=PROVIDER_RETRY,
        summary=summary,
    )


async def release_carrier_numbers(
    release: Callable[[], Awaitable[NumbersReleased | None]],
    waiting: Callable[[datetime], Awaitable[None]],
) -> None:
    """Run ``release`` until no number is left in its unassign cool-off (a call in the last 15 days); for
    one that is, ``waiting(until)`` shows the wait (the status document's ``cool_off_until``), then a
    durable timer waits until then and the release is tried again."""
    while True:
        released = await release()
        until = None if released is None else released.cool_off_until  # None: recorded before cool-offs
        if until is None:
            return
        await waiting(until)
        await workflow.sleep(
            max(until - workflow.now(), timedelta(seconds=1)),
            summary=f"number cool-off until {until.isoformat()}",
        )
