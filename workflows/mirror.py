"""Saving a workflow's status document into the database, as the onboarding and lifecycle workflows do at
every change.

A local activity first: it costs one marker and no extra workflow task. It is bounded by
:data:`LOCAL_BOUND`, well inside the 8 s after which the SDK heartbeats a workflow task that waits for a
local activity. A local activity that finishes in the instant of that heartbeat leaves a history that does
not replay (the continuation lands one workflow task after the marker; reproduced on temporalio 1.35 with a
write that takes 8.0 s, see ``docs/operations.md``). When the database is that slow, the write moves to a
regular activity, which retries for as long as it takes and can never race a heartbeat.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, TimeoutError

with workflow.unsafe.imports_passed_through():
    from activities.models import MirrorState
    from activities.records import Records

#: How long the local write may take, retries included, before the regular activity takes over.
LOCAL_BOUND = timedelta(seconds=4)

_LOCAL_RETRY = RetryPolicy(
    initial_interval=timedelta(milliseconds=200), maximum_interval=timedelta(seconds=1)
)
#: Writes to our own database: retried until they succeed.
RECORD_RETRY = RetryPolicy(maximum_interval=timedelta(seconds=10))


async def mirror_state(step: MirrorState) -> None:
    """Save ``step``'s document; raises what the local write raised unless it ran out of time."""
    try:
        await workflow.execute_local_activity_method(
            Records.mirror_state, step, schedule_to_close_timeout=LOCAL_BOUND, retry_policy=_LOCAL_RETRY
        )
    except (ActivityError, TimeoutError) as failure:
        # running, the SDK raises the timeout inside an ActivityError; replaying, the marker's bare timeout
        cause = failure.cause if isinstance(failure, ActivityError) else failure
        if not isinstance(cause, TimeoutError):
            raise
        await workflow.execute_activity_method(
            Records.mirror_state,
            step,
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RECORD_RETRY,
            summary=f"save status {step.state.status} (slow database)",
        )
