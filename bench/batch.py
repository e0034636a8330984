"""A batch through the whole stack: rows/s accepted and started, and what it does to onboardings running
beside it.

Starts the real stack (``onboard dev``) in a scratch folder. First a stream of single onboardings alone
(one started every 2 s, each approved as soon as its ``awaiting_kyc`` callback arrives): the seconds from
its start to its ``completed`` callback. Then a batch of ``--rows`` rows (customer KYC, so each row's
onboarding runs its first steps and waits), and the same stream again for as long as the batch starts
rows. The stream follows its onboardings by their status callbacks, as a reseller would, so measuring
adds no polling to the stack. Prints one line of figures.

    python -m bench.batch --rows 2000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.stack import BODY, bench_stack
from config import Settings
from tests.support.receiver import WebhookReceiver, run_receiver
from tests.support.stack import API_KEY, Stack

#: single onboardings started per second beside the batch (and alone, for the baseline)
STREAM_PER_S = 0.5
#: single onboardings measured alone
BASELINE = 15


@dataclass
class Stream:
    """Single onboardings started over the API and followed by their status callbacks."""

    api: httpx.AsyncClient
    sandbox: httpx.AsyncClient
    receiver: WebhookReceiver
    #: the first callback document of each (onboarding id, status), and how many callbacks were read
    announced: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    read: int = 0

    async def _announced(self, onboarding_id: str, status: str) -> dict[str, Any]:
        """The status document of the first callback announcing ``status``."""
        while (onboarding_id, status) not in self.announced:
            arrived = self.receiver.received[self.read :]
            self.read += len(arrived)
            for callback in arrived:
                data = callback.event["data"]
                self.announced.setdefault((data["id"], data["status"]), data)
            await asyncio.sleep(0.1)
        return self.announced[(onboarding_id, status)]

    async def _onboard(self, reference: str) -> float:
        """Start one onboarding, approve its KYC when asked: seconds from start to completed."""
        started = time.perf_counter()
        body = {**BODY, "reference": reference, "callback_url": self.receiver.url}
        onboarding_id = (await self.api.post("/v1/onboardings", json=body)).raise_for_status().json()["id"]
        waiting = await self._announced(onboarding_id, "awaiting_kyc")
        complete = f"/_sandbox/kyc-sessions/{waiting['kyc']['session_id']}/complete"
        (await self.sandbox.post(complete, json={"outcome": "approved"})).raise_for_status()
        await self._announced(onboarding_id, "completed")
        return time.perf_counter() - started

    async def run(self, tag: str, going: Callable[[int], bool]) -> list[float]:
        """Start onboardings at :data:`STREAM_PER_S` while ``going(started so far)``; the latencies of
        those that completed."""
        running: list[asyncio.Task[float]] = []
        while going(len(running)):
            running.append(asyncio.create_task(self._onboard(f"{tag}-{len(running)}")))
            await asyncio.sleep(1 / STREAM_PER_S)
        ended = await asyncio.gather(*running, return_exceptions=True)
        failures = [end for end in ended if isinstance(end, BaseException)]
        if failures:  # a dropped connection to a loaded stack: counted, not measured
            print(f"{tag}: {len(failures)} of {len(ended)} not measured, e.g. {failures[0]!r}")
        return [end for end in ended if not isinstance(end, BaseException)]


async def run_batch(stack: Stack, rows: int) -> str:
    """Measure the stream alone, then the batch with the stream beside it; the figures."""
    run = f"bb{int(time.time())}"
    async with (
        httpx.AsyncClient(
            base_url=stack.api_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=120
        ) as api,
        httpx.AsyncClient(base_url=stack.sandbox_url, timeout=60) as sandbox,
    ):
        with run_receiver() as receiver:
            stream = Stream(api, sandbox, receiver)
            alone = await stream.run(f"{run}-alone", lambda started: started < BASELINE)
            content = "\n".join(json.dumps({**BODY, "reference": f"{run}-row-{i}"}) for i in range(rows))
            sent_at = time.perf_counter()
            answer = await api.post(
                "/v1/batches", content=content, headers={"content-type": "application/x-ndjson"}
            )
            accepted_s = time.perf_counter() - sent_at
            batch = answer.raise_for_status().json()
            done = asyncio.Event()

            async def follow() -> float:
                """Seconds from the batch's answer until every row is decided."""
                while True:
                    if (await api.get(f"/v1/batches/{batch['id']}")).json()["state"] == "completed":
                        done.set()
                        return time.perf_counter() - sent_at - accepted_s
                    await asyncio.sleep(1.0)

            following = asyncio.create_task(follow())
            beside = await stream.run(f"{run}-beside", lambda _: not done.is_set())
            started_s = await following
    return (
        f"rows={rows} accepted={rows / accepted_s:.0f} rows/s ({accepted_s:.2f} s) "
        f"started={rows / started_s:.2f} rows/s | onboardings alone {_quantiles(alone)} "
        f"beside the batch {_quantiles(beside)}"
    )


def _quantiles(latencies: list[float]) -> str:
    cuts = statistics.quantiles(latencies, n=20)
    return f"p50={statistics.median(latencies):.2f}s p95={cuts[18]:.2f}s (n={len(latencies)})"


def main() -> None:
    """Parse ``--rows`` and ``--pace``, run on a fresh stack, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=2000, help="rows in the batch")
    default_pace = Settings.model_fields["batch_starts_per_second"].default
    parser.add_argument("--pace", type=float, default=default_pace, help="ONBOARD_BATCH_STARTS_PER_SECOND")
    args = parser.parse_args()
    with bench_stack(batch_starts_per_second=str(args.pace)) as stack:
        print(f"pace={args.pace:g} rows/s " + asyncio.run(run_batch(stack, args.rows)))


if __name__ == "__main__":
    main()
