"""``onboard dev --workers 2`` runs two workers on the same task queues and heals: a process that dies is
started again and the onboardings in flight carry on; only Ctrl-C stops the stack, cleanly."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import TaskQueueType
from temporalio.api.taskqueue.v1 import TaskQueue
from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest
from temporalio.client import Client

from tests.support.stack import Stack, onboarding_body, run_stack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def own_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack of this module's own, with two workers: its processes get killed."""
    with run_stack(Path(tmp_path_factory.mktemp("healing")), workers=2) as running:
        yield running


def console(stack: Stack) -> str:
    return (stack.data_dir / "onboard-dev.log").read_text(errors="replace")


def pid_of(stack: Stack, service: str) -> int:
    """The newest pid ``onboard dev`` reported for ``service``."""
    pids = re.findall(rf"{service}\s+(?:ready|restarted) \(pid (\d+)\)", console(stack))
    return int(pids[-1])


def wait_for_console(stack: Stack, text: str, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while text not in console(stack):
        assert time.monotonic() < deadline, f"never said {text!r}:\n{console(stack)}"
        time.sleep(0.1)


async def test_both_workers_poll_and_only_the_first_serves_metrics(own_stack: Stack) -> None:
    client = await Client.connect(own_stack.temporal_address)
    workers = {pid_of(own_stack, "worker"), pid_of(own_stack, "worker-2")}
    deadline = time.monotonic() + 30  # a worker polls once connected, which a busy machine delays
    while True:
        described = await client.workflow_service.describe_task_queue(
            DescribeTaskQueueRequest(
                namespace=client.namespace,
                task_queue=TaskQueue(name="onboarding"),
                task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
            )
        )
        polling = {int(poller.identity.partition("@")[0]) for poller in described.pollers}
        if polling >= workers or time.monotonic() > deadline:
            break
        await asyncio.sleep(0.5)
    assert polling >= workers
    async with httpx.AsyncClient() as http:
        assert (await http.get(own_stack.worker_metrics_url, timeout=5)).is_success
    log = (own_stack.data_dir / "logs" / "worker-2.log").read_text(errors="replace")
    assert "worker started" in log and "Traceback" not in log


def test_a_killed_worker_is_restarted_and_its_onboarding_completes(own_stack: Stack) -> None:
    with own_stack.api() as api:
        started = api.post("/v1/onboardings", json=onboarding_body("heal-worker", count=1))
        assert started.status_code == 202, started.text
        waiting = own_stack.wait_for_status(api, started.json()["id"], {"awaiting_kyc"})

        killed = pid_of(own_stack, "worker")
        os.kill(killed, signal.SIGKILL)
        wait_for_console(own_stack, "worker exited with -9; restarting it in 1 s")
        wait_for_console(own_stack, "worker restarted")
        assert pid_of(own_stack, "worker") != killed

        own_stack.approve_on_hosted_page(waiting["kyc"]["session_id"]).raise_for_status()
        done = own_stack.wait_for_status(api, waiting["id"], {"completed", "failed"})
    assert done["status"] == "completed"
    assert len(done["numbers"]) == 1


def test_a_killed_api_answers_again(own_stack: Stack) -> None:
    os.kill(pid_of(own_stack, "api"), signal.SIGKILL)
    wait_for_console(own_stack, "api restarted")
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{own_stack.api_url}/healthz", timeout=1.0).is_success:
                break
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline, "the restarted API never answered"
        time.sleep(0.2)


def test_ctrl_c_stops_every_process_cleanly(own_stack: Stack) -> None:
    children = [pid_of(own_stack, name) for name in ("temporal", "sandbox", "worker", "worker-2", "api")]
    os.killpg(own_stack.process.popen.pid, signal.SIGINT)  # what a terminal's Ctrl-C does

    assert own_stack.process.popen.wait(timeout=60) == 0
    assert "stopping the stack" in console(own_stack)
    assert "could not start" not in console(own_stack)
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    for name in ("api", "sandbox", "worker", "worker-2"):
        log = (own_stack.data_dir / "logs" / f"{name}.log").read_text(errors="replace")
        assert "Traceback" not in log, f"{name} did not stop cleanly:\n{log}"
