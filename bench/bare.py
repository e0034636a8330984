"""A bare workflow of the onboarding's shape (6 no-op activities, 1 signal): the ceiling to compare with."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

STEPS_BEFORE_SIGNAL = 2
STEPS_AFTER_SIGNAL = 4


@activity.defn
async def no_op(step: int) -> int:
    """Does nothing, like a provider call that returns at once."""
    return step


@workflow.defn
class BareShape:
    """Two activities, wait for a signal, four activities."""

    def __init__(self) -> None:
        self._signalled = False

    @workflow.signal
    def go(self) -> None:
        """The stand-in for the KYC result."""
        self._signalled = True

    @workflow.run
    async def run(self) -> None:
        """Run the shape."""
        for step in range(STEPS_BEFORE_SIGNAL):
            await workflow.execute_activity(no_op, step, start_to_close_timeout=timedelta(seconds=30))
        await workflow.wait_condition(lambda: self._signalled)
        for step in range(STEPS_AFTER_SIGNAL):
            await workflow.execute_activity(no_op, step, start_to_close_timeout=timedelta(seconds=30))


async def bare_throughput(client: Client, count: int) -> float:
    """Workflows per second for ``count`` bare workflows started and signalled at once."""
    queue = f"bare-{uuid.uuid4().hex[:8]}"
    async with Worker(client, task_queue=queue, workflows=[BareShape], activities=[no_op]):
        started = time.perf_counter()

        async def one(index: int) -> None:
            handle = await client.start_workflow(BareShape.run, id=f"{queue}-{index}", task_queue=queue)
            await handle.signal(BareShape.go)
            await handle.result()

        await asyncio.gather(*(one(i) for i in range(count)))
        return count / (time.perf_counter() - started)
