"""A bare workflow of the onboarding's shape (6 no-op activities, 1 signal): the ceiling to compare with.

Its worker runs in a process of its own, as the onboarding worker does, so each one's CPU can be read:
``python -m bench.bare --address HOST:PORT --task-queue Q`` serves until SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from temporalio import activity, workflow
from temporalio.client import Client
from temporalio.worker import Worker

STEPS_BEFORE_SIGNAL = 2
STEPS_AFTER_SIGNAL = 4
READY = "bare worker ready"


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


@dataclass(frozen=True)
class BareWorker:
    """A running bare worker process and the task queue it serves."""

    pid: int
    task_queue: str


@contextmanager
def bare_worker(address: str) -> Iterator[BareWorker]:
    """Run a bare worker process against Temporal at ``address`` until the block ends."""
    queue = f"bare-{uuid.uuid4().hex[:8]}"
    args = [sys.executable, "-m", "bench.bare", "--address", address, "--task-queue", queue]
    popen = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        assert popen.stdout is not None
        if popen.stdout.readline().strip() != READY:
            raise RuntimeError("the bare worker did not start")
        yield BareWorker(pid=popen.pid, task_queue=queue)
    finally:
        popen.terminate()
        popen.wait(timeout=30)


async def bare_throughput(client: Client, count: int, task_queue: str) -> tuple[float, list[str]]:
    """Workflows per second for ``count`` bare workflows started and signalled at once on ``task_queue``
    (served by :func:`bare_worker`), and their ids."""
    ids = [f"{task_queue}-{index}" for index in range(count)]
    started = time.perf_counter()

    async def one(workflow_id: str) -> None:
        handle = await client.start_workflow(BareShape.run, id=workflow_id, task_queue=task_queue)
        await handle.signal(BareShape.go)
        await handle.result()

    await asyncio.gather(*(one(workflow_id) for workflow_id in ids))
    return count / (time.perf_counter() - started), ids


async def _serve(address: str, task_queue: str) -> None:
    client = await Client.connect(address)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with Worker(client, task_queue=task_queue, workflows=[BareShape], activities=[no_op]):
        print(READY, flush=True)
        await stop.wait()


def main() -> None:
    """Serve the bare workflow on ``--task-queue`` until SIGTERM."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--address", required=True)
    parser.add_argument("--task-queue", required=True)
    args = parser.parse_args()
    asyncio.run(_serve(args.address, args.task_queue))


if __name__ == "__main__":
    main()
