"""Reseller callbacks: deliver one signed event, logged with each attempt's answer; Temporal retries until
the endpoint takes it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deps import ActivityDeps
from callbacks.sender import CallbackFailed
from domain.onboarding import StatusCallback
from store import callback_log
from store.callback_log import AttemptView


class Callbacks:
    """Calls out to the reseller's backend."""

    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def deliver_callback(self, callback: StatusCallback) -> None:
        """POST one event; the event id is stable across retries, so the reseller can dedupe."""
        await asyncio.to_thread(callback_log.register, self._deps.engine, callback)
        await self._deliver(callback, redelivery=False)

    @activity.defn
    async def redeliver_callback(self, event_id: str) -> None:
        """POST a logged event again, as the reseller asked (``POST /v1/events/{id}/redeliver``)."""
        callback = await asyncio.to_thread(callback_log.load, self._deps.engine, event_id)
        if callback is None:
            raise ApplicationError(
                f"no callback {event_id} in the log", type="unknown_event", non_retryable=True
            )
        await self._deliver(callback, redelivery=True)

    async def _deliver(self, callback: StatusCallback, *, redelivery: bool) -> None:
        at, started = datetime.now(UTC), time.monotonic()
        failure: CallbackFailed | None = None
        try:
            answered: int | None = await self._deps.callbacks.send(callback)
        except CallbackFailed as failed:
            answered, failure = failed.answered, failed
        attempt = AttemptView(
            at=at,
            answered=answered,
            error=None if failure is None else str(failure),
            duration_ms=round((time.monotonic() - started) * 1000),
            redelivery=redelivery,
        )
        final = failure is not None and failure.final
        await asyncio.to_thread(
            callback_log.record_attempt, self._deps.engine, callback.event_id, attempt, refused=final
        )
        if failure is not None:
            delay = None if failure.retry_after_s is None else timedelta(seconds=failure.retry_after_s)
            raise ApplicationError(
                str(failure),
                type="callback_refused" if final else "callback_failed",
                non_retryable=final,
                next_retry_delay=delay,
            ) from None
