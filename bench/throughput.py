"""Onboardings per second through the whole stack, against a bare workflow of the same shape.

Starts the real stack (``onboard dev``) in a scratch folder, starts N onboardings over the API,
approves each KYC session as soon as it is waiting (sandbox control: the provider then sends the
signed webhook, the API signals the workflow), and measures; then runs as many bare workflows on the same
server, their worker in a process of its own. Prints the rates and their ratio, the CPU milliseconds each
process spent per onboarding beside the bare shape's per workflow, and the history events of each.

    python -m bench.throughput --count 200
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections import Counter
from datetime import datetime

import httpx
from temporalio.api.enums.v1 import EventType, TimeoutType
from temporalio.client import Client

from bench.bare import bare_throughput, bare_worker
from bench.procs import descendants, tree_usage, usage
from bench.stack import bench_stack, start
from tests.support.stack import API_KEY, Stack


async def _list_all(api: httpx.AsyncClient, status: str) -> list[dict[str, object]]:
    items: list[dict[str, object]] = []
    cursor: str | None = None
    while True:
        params: dict[str, str | int] = {"status": status, "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = (await api.get("/v1/onboardings", params=params)).raise_for_status().json()
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


async def run_pipeline(stack: Stack, count: int) -> tuple[float, list[float], list[str]]:
    """Onboardings/s from first start to last completion, approval→completion latencies (s), and the
    onboardings' ids."""
    headers = {"Authorization": f"Bearer {API_KEY}"}
    run = f"b{int(time.time())}"
    approved_at: dict[str, float] = {}
    async with (
        httpx.AsyncClient(base_url=stack.api_url, headers=headers, timeout=60) as api,
        httpx.AsyncClient(base_url=stack.sandbox_url, timeout=60) as sandbox,
    ):
        started = time.perf_counter()
        limit = asyncio.Semaphore(20)

        async def one(index: int) -> None:
            async with limit:
                await start(api, f"{run}-{index}")

        await asyncio.gather(*(one(i) for i in range(count)))
        completed: dict[str, datetime] = {}
        while len(completed) < count:
            for item in await _list_all(api, "awaiting_kyc"):
                session = item["kyc"]["session_id"]  # type: ignore[index]
                if item["id"] not in approved_at:
                    complete = f"/_sandbox/kyc-sessions/{session}/complete"
                    (await sandbox.post(complete, json={"outcome": "approved"})).raise_for_status()
                    approved_at[str(item["id"])] = time.time()
            for item in await _list_all(api, "completed"):
                completed[str(item["id"])] = datetime.fromisoformat(str(item["updated_at"]))
            failed = await _list_all(api, "failed")
            if failed:
                raise RuntimeError(f"{len(failed)} onboardings failed, e.g. {failed[0]}")
            await asyncio.sleep(0.5)
        elapsed = time.perf_counter() - started
    latencies = [completed[key].timestamp() - approved_at[key] for key in completed if key in approved_at]
    return count / elapsed, latencies, list(completed)


async def events_per_workflow(client: Client, workflow_ids: list[str]) -> dict[str, float]:
    """The mean number of history events of the workflows, by event type, most frequent first; workflow task
    timeouts are also counted by timeout type (``workflow_task_timed_out[schedule_to_start]``), apart."""
    limit = asyncio.Semaphore(20)
    counts: Counter[str] = Counter()

    async def count(workflow_id: str) -> None:
        async with limit:
            async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
                kind = EventType.Name(event.event_type).removeprefix("EVENT_TYPE_").lower()
                counts[kind] += 1
                if event.HasField("workflow_task_timed_out_event_attributes"):
                    timeout = event.workflow_task_timed_out_event_attributes.timeout_type
                    counts[f"{kind}[{TimeoutType.Name(timeout).removeprefix('TIMEOUT_TYPE_').lower()}]"] += 1

    await asyncio.gather(*(count(workflow_id) for workflow_id in workflow_ids))
    return {kind: total / len(workflow_ids) for kind, total in counts.most_common()}


def events_line(name: str, events: dict[str, float]) -> str:
    """The mean history length of ``name`` and its largest parts."""
    parts = ", ".join(f"{kind} {mean:.1f}" for kind, mean in events.items() if mean >= 0.5 or "[" in kind)
    total = sum(mean for kind, mean in events.items() if "[" not in kind)
    return f"history events per {name}={total:.1f} ({parts})"


def cpu_lines(onboarding: dict[str, float], bare: dict[str, float], count: int) -> list[str]:
    """CPU ms per onboarding for each process, beside the bare shape's per workflow (its worker is
    ``bare``) and their ratio."""
    lines = []
    for role in ("worker", "temporal", "api", "sandbox"):
        per = onboarding.get(role, 0.0) * 1000 / count
        line = f"  {role:<9}{per:6.0f}"
        if role in ("worker", "temporal"):
            bare_per = bare.get("bare" if role == "worker" else role, 0.0) * 1000 / count
            line += f"  bare {bare_per:5.0f}  ratio {per / bare_per:.2f}"
        lines.append(line)
    return lines


async def measure(count: int) -> str:
    """Run both measurements on one stack and format the figures."""
    with bench_stack() as stack:
        root = stack.process.popen.pid
        before = tree_usage(root)
        rate, latencies, onboarding_ids = await run_pipeline(stack, count)
        onboarding_cpu = tree_usage(root).cpu_since(before)
        client = await Client.connect(stack.temporal_address)
        with bare_worker(stack.temporal_address) as worker:
            pids = [worker.pid, *descendants(root)]
            before = usage(pids)
            bare, bare_ids = await bare_throughput(client, count, worker.task_queue)
            bare_cpu = usage(pids).cpu_since(before)
        events = await events_per_workflow(client, onboarding_ids)
        bare_events = await events_per_workflow(client, bare_ids)
    quantiles = statistics.quantiles(latencies, n=100)
    return "\n".join(
        [
            f"onboardings={count} pipeline={rate:.2f}/s bare_shape={bare:.2f}/s ratio={rate / bare:.2f} "
            f"approval_to_completed_p50={quantiles[49]:.2f}s p99={quantiles[98]:.2f}s",
            "CPU ms per onboarding (bare shape: per workflow):",
            *cpu_lines(onboarding_cpu, bare_cpu, count),
            events_line("onboarding", events),
            events_line("bare workflow", bare_events),
        ]
    )


def main() -> None:
    """Parse ``--count`` and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=200)
    print(asyncio.run(measure(parser.parse_args().count)))


if __name__ == "__main__":
    main()
