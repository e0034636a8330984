"""Requests per second of the provider sandbox on a simple create (a carrier sub-account).

Starts ``python -m sandbox`` in a scratch folder and creates N sub-accounts through our carrier client,
C at a time. Prints one line of figures.

    python -m bench.sandbox --count 2000 --concurrency 20
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from config import Settings
from providers import Providers
from providers.carrier_models import SubAccountCreate
from tests.support.processes import run_sandbox


async def create_many(settings: Settings, count: int, concurrency: int) -> tuple[float, list[float]]:
    """Creates per second over the whole run, and each create's latency in seconds."""
    providers = Providers.from_settings(settings)
    limit = asyncio.Semaphore(concurrency)
    latencies: list[float] = []

    async def create(index: int) -> None:
        async with limit:
            began = time.perf_counter()
            await providers.carrier.create_sub_account(SubAccountCreate(name=f"bench-{index}"))
            latencies.append(time.perf_counter() - began)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(create(i) for i in range(count)))
        return count / (time.perf_counter() - started), latencies
    finally:
        await providers.aclose()


def main() -> None:
    """Parse ``--count`` and ``--concurrency``, run the sandbox, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as scratch, run_sandbox(Path(scratch)) as box:
        rate, latencies = asyncio.run(create_many(box.settings, args.count, args.concurrency))
    quantiles = statistics.quantiles(latencies, n=100)
    print(
        f"sandbox_creates={args.count} concurrency={args.concurrency} rate={rate:.0f}/s "
        f"p50={quantiles[49] * 1000:.1f}ms p99={quantiles[98] * 1000:.1f}ms"
    )


if __name__ == "__main__":
    main()
