"""Reseller status callbacks: deliver one signed event; Temporal retries until the endpoint takes it."""

from __future__ import annotations

from datetime import timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deps import ActivityDeps
from activities.models import StatusCallback
from callbacks.sender import CallbackFailed


class Callbacks:
    """Calls out to the reseller's backend."""

    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def deliver_callback(self, callback: StatusCallback) -> None:
        """POST one status change; the event id is stable across retries, so the reseller can dedupe."""
        try:
            await self._deps.callbacks.send(callback)
        except CallbackFailed as failure:
            delay = None if failure.retry_after_s is None else timedelta(seconds=failure.retry_after_s)
            raise ApplicationError(
                str(failure),
                type="callback_refused" if failure.final else "callback_failed",
                non_retryable=failure.final,
                next_retry_delay=delay,
            ) from None
