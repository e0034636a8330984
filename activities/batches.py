"""The batch activities: start a batch's next rows at the configured pace, and mirror its state.

Each row is started as the API's single start does it (claim within the reseller's quotas, then the
idempotent workflow start), so a row tried again after a crash never starts a second onboarding.
"""

from __future__ import annotations

import asyncio
import math
import time
from datetime import timedelta

from temporalio import activity
from temporalio.api.common.v1 import Payload
from temporalio.client import Client
from temporalio.common import Priority

from activities.deps import ActivityDeps
from domain.batch import MirrorBatch, RowOutcome, RowsStarted, StartRows
from domain.onboarding import OnboardingRequest
from starts.onboardings import OnboardingStarts
from store import batches, onboardings
from store.models import BatchRow, utcnow
from store.quotas import QuotaExceeded

#: how long one chunk starts rows before it hands back to its workflow (a pause waits for it)
CHUNK_S = 5.0
#: a chunk heartbeats at least this often, also while it waits for the next start
HEARTBEAT_EVERY_S = 2.0
#: rows one chunk starts at once at the most, when a start takes longer than the pace allows
MAX_STARTING = 4
#: what a batch waits for while ``batch_max_working`` of its onboardings are still worked on
BACKLOG = "backlog"
#: a batch row's onboarding: its tasks go after those of onboardings started one by one (default 3) while
#: Temporal has a backlog, so a bulk import does not hold up a reseller's single customers
BATCH_ROW_PRIORITY = Priority(priority_key=4)


class BatchRows:
    """Starts the rows of batches, and keeps their state in the database."""

    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps
        self._starts = OnboardingStarts(deps.settings, deps.engine)

    @activity.defn
    async def start_batch_rows(self, chunk: StartRows) -> RowsStarted:
        """Start the batch's next pending rows (:meth:`_start_rows`) and count the rows decided so far."""
        started = await self._start_rows(chunk)
        decided = await asyncio.to_thread(batches.decided_count, self._deps.engine, chunk.batch_id)
        return started.model_copy(update={"decided_in_all": decided})

    async def _start_rows(self, chunk: StartRows) -> RowsStarted:
        """Start the batch's next pending rows, one every ``1 / batch_starts_per_second`` seconds (a few at
        once while starts are slow), for about :data:`CHUNK_S`, keeping at most ``batch_max_working`` of
        its onboardings worked on at once (:data:`BACKLOG`: wait a chunk's time when as many are); stop at
        a quota that waiting frees (in flight, starts per minute), leaving the rows it holds back pending."""
        settings, engine = self._deps.settings, self._deps.engine
        interval = 1 / settings.batch_starts_per_second
        limit = max(1, math.floor(CHUNK_S / interval))
        rows = await asyncio.to_thread(batches.pending, engine, chunk.batch_id, limit)
        if not rows:
            return RowsStarted(decided=0, done=True)
        working = await asyncio.to_thread(batches.working, engine, chunk.batch_id, chunk.reseller)
        room = settings.batch_max_working - working
        if room <= 0:
            return await self._wait(chunk, BACKLOG, math.ceil(CHUNK_S))
        last = len(rows) < limit and len(rows) <= room  # the batch's last rows
        rows = rows[:room]
        client = activity.client()
        slots = asyncio.Semaphore(MAX_STARTING)
        held_back: list[tuple[str, int]] = []

        async def start(row: BatchRow) -> None:
            async with slots:
                full = await self._start_row(client, chunk, row)
            if full is not None:
                held_back.append(full)
            activity.heartbeat(row.number)

        began, launched = time.monotonic(), 0
        async with asyncio.TaskGroup() as starting:
            for row in rows:
                await _pace(began + launched * interval - time.monotonic())
                if held_back:
                    break
                starting.create_task(start(row))
                launched += 1
        decided = launched - len(held_back)
        if held_back:
            return await self._wait(chunk, *held_back[0], decided=decided)
        await asyncio.to_thread(batches.wait, engine, chunk.batch_id, None, None)
        return RowsStarted(decided=decided, done=last)

    async def _wait(self, chunk: StartRows, reason: str, seconds: int, decided: int = 0) -> RowsStarted:
        """Note in the database what the batch waits for, and until when."""
        until = utcnow() + timedelta(seconds=seconds)
        await asyncio.to_thread(batches.wait, self._deps.engine, chunk.batch_id, reason, until)
        return RowsStarted(decided=decided, done=False, waiting_for=reason, retry_after_s=seconds)

    async def _start_row(self, client: Client, chunk: StartRows, row: BatchRow) -> tuple[str, int] | None:
        """Start one row and record its outcome; a quota that waiting frees leaves the row pending and is
        returned, with the seconds to wait."""
        engine = self._deps.engine
        attempted = await asyncio.to_thread(batches.attempt, engine, chunk.batch_id, row.number, utcnow())
        request = await _request(client, row)
        outcome: RowOutcome
        reason: str | None = None
        try:
            state, created = await self._starts.claim(chunk.reseller, request)
        except QuotaExceeded as full:
            retry_after = full.retry_after_s(utcnow())
            if retry_after is not None:
                return full.quota, retry_after
            outcome, reason = "refused", str(full)
        except onboardings.ReferenceConflict:
            outcome, reason = "conflict", "the reference is already onboarding with a different request"
        else:
            if not state.is_terminal:
                await self._starts.start_workflow(client, state, request, BATCH_ROW_PRIORITY)
            # claimed now, or by this row's attempt that was interrupted before it was recorded
            outcome = "started" if created or state.created_at >= attempted else "existing"
        await asyncio.to_thread(batches.decide, engine, chunk.batch_id, row.number, outcome, utcnow(), reason)
        return None

    @activity.defn
    async def mirror_batch(self, change: MirrorBatch) -> None:
        """Save the batch's state as its workflow decided it."""
        await asyncio.to_thread(batches.mirror, self._deps.engine, change)


async def _request(client: Client, row: BatchRow) -> OnboardingRequest:
    """The row's request, decrypted with the codec keys it was stored under."""
    if row.request is None:
        raise ValueError(f"row {row.number} of {row.batch_id} has no request left")
    decoded = await client.data_converter.decode([Payload.FromString(row.request)], [OnboardingRequest])
    request: OnboardingRequest = decoded[0]
    return request


async def _pace(seconds: float) -> None:
    """Wait ``seconds`` (nothing if not positive), heartbeating."""
    while seconds > 0:
        step = min(seconds, HEARTBEAT_EVERY_S)
        await asyncio.sleep(step)
        seconds -= step
        activity.heartbeat()
