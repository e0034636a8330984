"""How a workflow runs a callback activity: on the callbacks task queue, retried with backoff until its
deadline; and the outbox of status callbacks the onboarding and lifecycle workflows share. Redeliveries
use the activity alone."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError

with workflow.unsafe.imports_passed_through():
    from domain.onboarding import (
        CALLBACK_DEADLINE,
        STATUS_CHANGED,
        OnboardingState,
        StatusCallback,
        callback_task_queue,
    )

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


class CallbackOutbox:
    """A workflow's status callbacks to the reseller's URL, delivered one at a time, in order, by a task
    of their own: the workflow never waits on them but at its end (:meth:`delivered`).

    Each event's id (its ``webhook-id``) is ``<id_prefix>:<n>``, counting from ``queued`` (carried over a
    continue-as-new). Each change may take until :data:`CALLBACK_DEADLINE` after it happened, so a dead
    endpoint delays the ones behind it by at most that much in all.
    """

    def __init__(
        self,
        url: str | None,
        id_prefix: str,
        deliver: Callable[..., Awaitable[None]],
        queued: int = 0,
    ) -> None:
        self._url = url
        self._id_prefix = id_prefix
        self._deliver = deliver
        self.queued = queued
        self._outbox: list[StatusCallback] = []
        self._sender: asyncio.Task[None] | None = None

    def queue(self, document: OnboardingState, event_type: str = STATUS_CHANGED) -> None:
        """Queue ``document`` as an event of ``event_type`` happening now, if there is a URL."""
        if self._url is None:
            return
        self.queued += 1
        self._outbox.append(
            StatusCallback(
                url=self._url,
                reseller=document.reseller,
                event_id=f"{self._id_prefix}:{self.queued}",
                type=event_type,
                document=document.model_copy(deep=True),
                occurred_at=None if event_type == STATUS_CHANGED else workflow.now(),
            )
        )
        if self._sender is None or self._sender.done():
            if self._sender is not None:
                self._sender.result()  # a sender that broke (a bug) fails the workflow task now
            self._sender = asyncio.create_task(self._send())

    async def _send(self) -> None:
        while self._outbox:
            callback = self._outbox[0]
            left = callback.at + CALLBACK_DEADLINE - workflow.now()
            try:
                if left <= timedelta(0):
                    raise ApplicationError(f"older than {CALLBACK_DEADLINE}")
                await callback_activity(
                    self._deliver, callback, deadline=left, summary=f"callback: {callback.document.status}"
                )
            except (ActivityError, ApplicationError) as failure:
                reason = failure.cause if isinstance(failure, ActivityError) else failure
                workflow.logger.warning("status callback %s given up: %s", callback.event_id, reason)
            if self._outbox and self._outbox[0] is callback:
                self._outbox.pop(0)

    async def delivered(self) -> None:
        """Wait for the callbacks still queued. The workflow is over: a cancel now gives them up, and a
        sender that broke (a bug) fails the workflow task, so it shows and is retried."""
        if not self._outbox:
            return
        try:
            await workflow.wait_condition(lambda: not self._outbox or self._stopped())
        except asyncio.CancelledError:
            workflow.logger.warning("%d status callback(s) given up: cancelled", len(self._outbox))
            self._outbox.clear()
            return
        if self._sender is not None and self._stopped():
            self._sender.result()

    def _stopped(self) -> bool:
        return self._sender is not None and self._sender.done()
