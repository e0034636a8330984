"""Onboardings parked at ``awaiting_kyc``: what N of them cost, how reads answer among them, and how fast
approvals move them on.

Starts the real stack (``onboard dev``) in a scratch folder, starts N onboardings over the API and waits
until every one awaits KYC (time to park); reads the workers' and Temporal's memory; times status GETs
with 20 concurrent readers, and pages of the list of those awaiting KYC (one reader, 100 a page), with
the API's CPU per request (what a busy machine does not change) and the readers' own (lean keep-alive
clients: on two cores, what they spend is taken from the API); then has
``--approvals`` of the customers submit their documents (progress webhooks, taken before the clock starts)
and approves them at 100 per second through the sandbox, which sends the provider's signed verdict
webhooks to the API: how long the API took to answer each (as the provider saw it; and by the API's own
request histogram, the upper bound of the bucket holding the 99th percentile), and how long from
each approval until the database, which reads are served from, shows the onboarding out of
``awaiting_kyc``. With several ``--count``s, each runs on a fresh stack and a last table shows how each
figure moves.

    python -m bench.parked --count 1000 --count 10000
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sqlite3
import statistics
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

from bench.keepalive import KeepAliveClient
from bench.procs import tree_usage
from bench.stack import bench_stack, start
from tests.support.stack import API_KEY

READERS = 20
HEADERS = {"Authorization": f"Bearer {API_KEY}"}
MB = 1024 * 1024
#: how long after the last approval the approved may take to leave ``awaiting_kyc`` before the watch ends
LEAVE_WINDOW_S = 180.0
LEFT_IN_WINDOW = f"left awaiting_kyc within {LEAVE_WINDOW_S:g} s"
#: figure name, unit, target (None: none set); in the order printed
FIGURES: list[tuple[str, str, float | None]] = [
    ("time to park", "s", None),
    ("worker RSS", "MB", 512),
    ("Temporal RSS", "MB", None),
    ("status GET p50", "ms", None),
    ("status GET p99", "ms", 50),
    ("API CPU per status GET", "ms", None),
    ("readers' CPU per status GET", "ms", None),
    ("list p99 (100 a page)", "ms", 100),
    ("API CPU per list page", "ms", None),
    ("approvals per second", "/s", None),
    ("webhook answered p99", "ms", 50),
    ("webhook handled p99, API's clock", "ms", None),
    ("approval→left awaiting_kyc p50", "s", None),
    ("approval→left awaiting_kyc p99", "s", 1),
    (LEFT_IN_WINDOW, "%", None),
]

Request = Callable[[], Awaitable[None]]


def _query(db: Path, sql: str, *args: str) -> list[tuple[Any, ...]]:
    """Rows of a read-only query on the stack's database (as a reader of it sees them)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as connection:
        return connection.execute(sql, args).fetchall()


def _p(values: list[float], percent: int) -> float:
    return statistics.quantiles(values, n=100)[percent - 1] if len(values) > 1 else values[0]


async def park(api: httpx.AsyncClient, db: Path, count: int) -> tuple[float, list[tuple[str, str]]]:
    """Start ``count`` onboardings and wait until all await KYC: the seconds it took, and each one's id
    and KYC session."""
    run = f"p{int(time.time())}"
    limit = asyncio.Semaphore(READERS)

    async def one(index: int) -> None:
        async with limit:
            await start(api, f"{run}-{index}")

    began = time.perf_counter()
    await asyncio.gather(*(one(index) for index in range(count)))
    while True:
        rows = await asyncio.to_thread(_query, db, "SELECT status, count(*) FROM onboardings GROUP BY 1")
        counts = {status: int(number) for status, number in rows}
        if "failed" in counts:
            raise RuntimeError(f"onboardings failed while parking: {counts}")
        if counts.get("awaiting_kyc", 0) >= count:
            break
        await asyncio.sleep(1)
    elapsed = time.perf_counter() - began
    sql = "SELECT id, kyc_session_id FROM onboardings WHERE status = 'awaiting_kyc'"
    parked = [(row[0], row[1]) for row in await asyncio.to_thread(_query, db, sql)]
    return elapsed, parked


async def timed(total: int, reader: Callable[[], Request], readers: int = READERS) -> list[float]:
    """Milliseconds of ``total`` requests made by ``readers`` concurrent readers, each running the
    requests ``reader()`` makes for it, one after the other."""
    latencies: list[float] = []

    async def run(request: Request) -> None:
        while len(latencies) < total:
            began = time.perf_counter()
            await request()
            latencies.append((time.perf_counter() - began) * 1000)

    await asyncio.gather(*(run(reader()) for _ in range(readers)))
    return latencies


def status_reader(api_url: str, ids: list[str]) -> Callable[[], Request]:
    """Readers of random parked onboardings, each over a keep-alive connection of its own."""

    def reader() -> Request:
        client = KeepAliveClient(api_url, HEADERS)

        async def request() -> None:
            await client.get_json(f"/v1/onboardings/{random.choice(ids)}")

        return request

    return reader


def list_reader(api_url: str) -> Callable[[], Request]:
    """Readers walking the list of onboardings awaiting KYC, 100 a page, from the first page again at the
    end."""

    def reader() -> Request:
        client = KeepAliveClient(api_url, HEADERS)
        cursor: list[str] = []

        async def request() -> None:
            params = {
                "status": "awaiting_kyc",
                "limit": "100",
                **({"cursor": cursor.pop()} if cursor else {}),
            }
            page = await client.get_json("/v1/onboardings", params)
            if page["next_cursor"]:
                cursor.append(page["next_cursor"])

        return request

    return reader


async def submit(sandbox: httpx.AsyncClient, sessions: list[str]) -> None:
    """The customers open their links and submit their documents, ahead of the verdicts (the sandbox
    sends ``kyc.initiated`` and ``kyc.submitted``); return once the API has taken both webhooks of each."""
    limit = asyncio.Semaphore(READERS)

    async def one(session_id: str) -> None:
        async with limit:
            (await sandbox.post(f"/_sandbox/kyc-sessions/{session_id}/submit")).raise_for_status()

    await asyncio.gather(*(one(session_id) for session_id in sessions))
    await webhook_answers(sandbox, {f"{session_id}:kyc.submitted" for session_id in sessions})


async def approve(
    sandbox: httpx.AsyncClient, db: Path, parked: list[tuple[str, str]], rate: float
) -> tuple[float, list[float], list[float]]:
    """Approve each of ``parked`` at ``rate`` per second: the rate reached, the approval webhooks' answer
    times (ms) and the approval→left ``awaiting_kyc`` times (s; one still waiting after
    :data:`LEAVE_WINDOW_S` counts as leaving when the watch ends, so its time is a lower bound)."""
    approved_at: dict[str, float] = {}
    left_at: dict[str, float] = {}
    ids = [onboarding_id for onboarding_id, _ in parked]

    async def watch() -> None:
        marks = ",".join("?" * len(ids))
        sql = f"SELECT id FROM onboardings WHERE status != 'awaiting_kyc' AND id IN ({marks})"  # noqa: S608
        while len(left_at) < len(ids) and time.perf_counter() < began + len(ids) / rate + LEAVE_WINDOW_S:
            for (onboarding_id,) in await asyncio.to_thread(_query, db, sql, *ids):
                left_at.setdefault(onboarding_id, time.perf_counter())
            await asyncio.sleep(0.02)

    began = time.perf_counter()

    async def one(index: int, onboarding_id: str, session_id: str) -> None:
        await asyncio.sleep(max(0.0, began + index / rate - time.perf_counter()))
        complete = f"/_sandbox/kyc-sessions/{session_id}/complete"
        (await sandbox.post(complete, json={"outcome": "approved"})).raise_for_status()
        approved_at[onboarding_id] = time.perf_counter()  # decided: the provider's webhook is on its way

    watcher = asyncio.create_task(watch())
    await asyncio.gather(*(one(index, *item) for index, item in enumerate(parked)))
    reached = len(parked) / (time.perf_counter() - began)
    await watcher
    answers = await webhook_answers(sandbox, {f"{session_id}:kyc.completed" for _, session_id in parked})
    ended = time.perf_counter()
    return reached, answers, [max(0.0, left_at.get(key, ended) - approved_at[key]) for key in ids]


async def webhook_answers(sandbox: httpx.AsyncClient, events: set[str]) -> list[float]:
    """How long the API took to answer each of ``events`` (webhook ids), once each was delivered."""
    for _ in range(1200):
        attempts = (await sandbox.get("/_sandbox/webhooks")).raise_for_status().json()
        answered = [a for a in attempts if a["event_id"] in events]
        if len({a["event_id"] for a in answered if a["status_code"] in (200, 202)}) >= len(events):
            return [float(a["duration_ms"]) for a in answered]
        await asyncio.sleep(0.5)
    raise TimeoutError("the sandbox did not deliver every webhook")


async def route_latencies(api: httpx.AsyncClient, route: str) -> dict[float, float]:
    """The API's own histogram of ``route``'s request times: requests so far at or under each bound (s)."""
    text = (await api.get("/metrics")).raise_for_status().text
    counts: dict[float, float] = {}
    for line in text.splitlines():
        if line.startswith("api_request_seconds_bucket{") and f'route="{route}"' in line:
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            counts[float(bound)] = float(line.rsplit(" ", 1)[1])
    return counts


def bucket_p99(before: dict[float, float], after: dict[float, float]) -> float:
    """The upper bound (ms) of the histogram bucket holding the 99th percentile of the requests between
    two readings."""
    between = {bound: after[bound] - before.get(bound, 0.0) for bound in sorted(after)}
    total = between.get(float("inf"), 0.0)
    return next((bound * 1000 for bound, seen in between.items() if seen >= 0.99 * total), float("nan"))


async def measure(count: int, approvals: int, workers: int) -> dict[str, float]:
    """Every figure for ``count`` parked onboardings on a fresh stack, each printed as it is measured."""
    figures: dict[str, float] = {}

    def found(measured: dict[str, float]) -> None:
        figures.update(measured)
        print("  " + ", ".join(f"{name}: {value:.3g}" for name, value in measured.items()), flush=True)

    with bench_stack(workers) as stack:
        db = stack.data_dir / "onboarding.db"
        # idle connections dropped before the server's keep-alive (5 s) can close one under a request
        limits = httpx.Limits(max_connections=READERS * 2, keepalive_expiry=1)
        async with httpx.AsyncClient(
            base_url=stack.api_url, headers=HEADERS, timeout=60, limits=limits
        ) as api:
            park_s, parked = await park(api, db, count)
            found({"time to park": park_s})
            await asyncio.sleep(5)  # let the last activations settle before reading memory
            root = stack.process.popen.pid
            memory = tree_usage(root).rss_bytes
            found(
                {"worker RSS": memory.get("worker", 0) / MB, "Temporal RSS": memory.get("temporal", 0) / MB}
            )
            ids = [onboarding_id for onboarding_id, _ in parked]
            before, readers_cpu = tree_usage(root), time.process_time()
            gets = await timed(100 * READERS, status_reader(stack.api_url, ids))
            between, readers_cpu = tree_usage(root), time.process_time() - readers_cpu
            lists = await timed(max(50, count // 100), list_reader(stack.api_url), readers=1)
            after = tree_usage(root)
            found(
                {
                    "status GET p50": _p(gets, 50),
                    "status GET p99": _p(gets, 99),
                    "API CPU per status GET": between.cpu_since(before)["api"] * 1000 / len(gets),
                    "readers' CPU per status GET": readers_cpu * 1000 / len(gets),
                    "list p99 (100 a page)": _p(lists, 99),
                    "API CPU per list page": after.cpu_since(between)["api"] * 1000 / len(lists),
                }
            )
            chosen = random.sample(parked, min(approvals, count))
            unpooled = httpx.Timeout(600, pool=None)  # a sandbox behind on approvals shows in their rate
            async with httpx.AsyncClient(
                base_url=stack.sandbox_url, timeout=unpooled, limits=limits
            ) as sandbox:
                await submit(sandbox, [session_id for _, session_id in chosen])
                handled_before = await route_latencies(api, "/webhooks/kyc")
                reached, answers, left = await approve(sandbox, db, chosen, 100)
                handled = bucket_p99(handled_before, await route_latencies(api, "/webhooks/kyc"))
    found(
        {
            "approvals per second": reached,
            "webhook answered p99": _p(answers, 99),
            "webhook handled p99, API's clock": handled,
        }
    )
    within = 100 * sum(1 for seconds in left if seconds < LEAVE_WINDOW_S) / max(1, len(left))
    found(
        {
            "approval→left awaiting_kyc p50": _p(left, 50),
            "approval→left awaiting_kyc p99": _p(left, 99),
            LEFT_IN_WINDOW: within,
        }
    )
    return figures


def table(results: dict[int, dict[str, float]]) -> str:
    """One row per figure, one column per count, the target, and the change from the first count to the
    last."""
    counts = sorted(results)
    head = f"{'figure':<34}" + "".join(f"{f'N={n:,}':>12}" for n in counts) + f"{'target':>10}"
    lines = [head + (f"{'change':>9}" if len(counts) > 1 else "")]
    for name, unit, target in FIGURES:
        values = [results[n][name] for n in counts]
        line = f"{f'{name} ({unit})':<34}" + "".join(f"{v:12.2f}" if v < 10 else f"{v:12.0f}" for v in values)
        line += f"{'' if target is None else f'≤ {target:g}':>10}"
        if len(counts) > 1:
            line += f"{f'x{values[-1] / values[0]:.2f}' if values[0] else '':>9}"
        lines.append(line)
    return "\n".join(lines)


def main() -> None:
    """Parse the arguments, measure each count on a fresh stack and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, action="append", help="onboardings to park (repeatable)")
    parser.add_argument("--approvals", type=int, default=1000, help="how many to approve, at 100/s")
    parser.add_argument("--workers", type=int, default=1, help="worker processes (onboard dev --workers)")
    args = parser.parse_args()
    results: dict[int, dict[str, float]] = {}
    for count in args.count or [1000]:
        approved = min(args.approvals, count)
        print(f"{count:,} parked, {args.workers} worker(s), {approved} approved:", flush=True)
        results[count] = asyncio.run(measure(count, args.approvals, args.workers))
    print(table(results))


if __name__ == "__main__":
    main()
