"""``OnboardingBatch``: one workflow per bulk onboarding, starting its rows' onboardings chunk by chunk.

Each chunk is an activity that starts the next pending rows at the configured pace for a few seconds;
the rows are read from the database, so the history carries only counts. Between chunks the workflow
waits while paused and waits out a reseller quota that only time frees; cancelled (update ``cancel`` or
the Temporal UI's Cancel), it lets the chunk in progress finish and skips the rest. It continues as new
every ``chunks_per_run`` chunks, so its history stays short however many rows the batch holds. The
onboardings it starts are workflows of their own: they go on whatever becomes of the batch.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from activities.batches import BatchRows
    from domain.batch import (
        BATCH_WORKFLOW,
        FINISHED_BATCH_STATES,
        BatchInput,
        BatchProgress,
        BatchState,
        MirrorBatch,
        RowsStarted,
        StartRows,
    )

#: Chunk and mirror activities are retried until they succeed: a crashed worker's chunk is taken over
#: once its heartbeat is missed, and every row it had not recorded is started again, idempotently.
_RETRY = RetryPolicy(initial_interval=timedelta(seconds=1), maximum_interval=timedelta(seconds=30))
_CHUNK_TIMEOUT = timedelta(minutes=5)
_HEARTBEAT_TIMEOUT = timedelta(seconds=20)
_MIRROR_TIMEOUT = timedelta(seconds=30)


@workflow.defn(name=BATCH_WORKFLOW)
class OnboardingBatch:
    """Starts a batch's rows; query ``progress``; updates ``pause``, ``resume`` and ``cancel``."""

    @workflow.init
    def __init__(self, start: BatchInput) -> None:
        self._start = start
        self._state: BatchState = start.state
        self._revision = start.revision
        self._mirrored = start.revision
        self._decided = start.rows_decided
        self._chunk_running = False
        self._waiting: RowsStarted | None = None
        self._waiting_since = workflow.now()

    @workflow.run
    async def run(self, start: BatchInput) -> BatchProgress:
        """Start every row (or stop when cancelled); continues as new every ``chunks_per_run`` chunks."""
        self._describe()
        try:
            await self._start_rows(start)
        except asyncio.CancelledError:  # the Temporal UI's Cancel
            if self._state not in FINISHED_BATCH_STATES:
                self._set_state("cancelled")
            await self._mirror()
            raise
        await self._mirror()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.progress()

    async def _start_rows(self, start: BatchInput) -> None:
        for _ in range(start.chunks_per_run):
            await workflow.wait_condition(lambda: self._state != "paused")
            if self._cancelled():
                return
            chunk = await self._chunk(start)
            if chunk.done and not self._cancelled():
                self._set_state("completed")
                return
            if chunk.waiting_for is not None:
                await self._wait_out(chunk)
            self._describe()
        await workflow.wait_condition(workflow.all_handlers_finished)
        if self._cancelled():  # during the run's last chunk: the batch ends here, not in a next run
            return
        workflow.continue_as_new(
            start.model_copy(
                update={"state": self._state, "revision": self._revision, "rows_decided": self._decided}
            )
        )

    async def _chunk(self, start: BatchInput) -> RowsStarted:
        """One chunk of rows, shielded from cancellation: the rows it starts are recorded before the
        batch stops, so none is skipped after its onboarding started."""
        self._chunk_running = True
        try:
            chunk = workflow.start_activity_method(
                BatchRows.start_batch_rows,
                StartRows(batch_id=start.batch_id, reseller=start.reseller),
                start_to_close_timeout=_CHUNK_TIMEOUT,
                heartbeat_timeout=_HEARTBEAT_TIMEOUT,
                retry_policy=_RETRY,
                summary="start rows",
            )
            try:
                started = await asyncio.shield(chunk)
            except asyncio.CancelledError:
                self._count(await chunk)
                raise
            self._count(started)
            return started
        finally:
            self._chunk_running = False

    def _count(self, chunk: RowsStarted) -> None:
        """The rows decided after ``chunk``: as it counted them, or added when its worker did not count."""
        self._decided = (
            self._decided + chunk.decided if chunk.decided_in_all is None else chunk.decided_in_all
        )

    async def _wait_out(self, chunk: RowsStarted) -> None:
        """Wait until a quota or the backlog may have room again, or the batch is paused or cancelled."""
        self._waiting, self._waiting_since = chunk, workflow.now()
        self._describe()
        with contextlib.suppress(TimeoutError):  # there may be room again
            await workflow.wait_condition(
                lambda: self._state != "running", timeout=timedelta(seconds=chunk.retry_after_s)
            )
        self._waiting = None

    def _cancelled(self) -> bool:
        return self._state == "cancelled"

    def _set_state(self, state: BatchState) -> None:
        if state != self._state:
            self._state = state
            self._revision += 1
            self._describe()

    async def _mirror(self) -> None:
        """Save the state to the database unless it is saved already."""
        revision = self._revision
        if revision <= self._mirrored:
            return
        change = MirrorBatch(
            batch_id=self._start.batch_id, state=self._state, revision=revision, at=workflow.now()
        )
        await workflow.execute_activity_method(
            BatchRows.mirror_batch,
            change,
            start_to_close_timeout=_MIRROR_TIMEOUT,
            retry_policy=_RETRY,
            summary=f"mirror {self._state}",
        )
        self._mirrored = max(self._mirrored, revision)

    def _describe(self) -> None:
        """What the Temporal UI shows as the batch's current details."""
        details = f"{self._decided} of {self._start.rows} rows decided; {self._state}"
        if self._waiting is not None:
            details += f", waiting {self._waiting.retry_after_s:.0f} s for {self._waiting.waiting_for}"
        workflow.set_current_details(details)

    @workflow.query
    def progress(self) -> BatchProgress:
        """Where the batch stands."""
        waiting = self._waiting
        return BatchProgress(
            batch_id=self._start.batch_id,
            state=self._state,
            rows=self._start.rows,
            rows_decided=self._decided,
            waiting_for=None if waiting is None else waiting.waiting_for,
            waiting_until=None
            if waiting is None
            else self._waiting_since + timedelta(seconds=waiting.retry_after_s),
        )

    @workflow.update
    async def pause(self) -> BatchProgress:
        """Start no more rows until resumed; answers once the rows being started are recorded."""
        self._set_state("paused")
        await workflow.wait_condition(lambda: not self._chunk_running)
        await self._mirror()
        return self.progress()

    @workflow.update
    async def resume(self) -> BatchProgress:
        """Start rows again."""
        self._set_state("running")
        await self._mirror()
        return self.progress()

    @workflow.update
    async def cancel(self) -> BatchProgress:
        """Start no more rows: answers once the rows being started are recorded and the others skipped.
        The onboardings already started go on."""
        self._set_state("cancelled")
        await workflow.wait_condition(lambda: not self._chunk_running)
        await self._mirror()
        return self.progress()

    @pause.validator
    @resume.validator
    @cancel.validator
    def _not_finished(self) -> None:
        if self._state in FINISHED_BATCH_STATES:
            raise ApplicationError(f"the batch is {self._state}", type="batch_finished")
