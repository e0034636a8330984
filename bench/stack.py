"""The stack the benchmarks measure: ``onboard dev`` in a scratch folder, with the provider's and the
resellers' limits lifted (the pipeline is measured, whatever the count), and the request they start."""

from __future__ import annotations

import asyncio
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import httpx

from tests.support.stack import Stack, run_stack

BODY = {
    "business_name": "Bench Clinic",
    "email": "bench@example.com",
    "business_type": "individual",
    "kyc_mode": "customer_use",
    "numbers": {"country": "US", "count": 1},
    "agent": {"name": "Bench agent", "system_prompt": "Answer calls."},
}


@contextmanager
def bench_stack(workers: int = 1, **settings: str) -> Iterator[Stack]:
    """A fresh stack with ``workers`` worker processes and any other ``settings`` (lower-case names),
    removed when the block ends, by SIGTERM too (which otherwise ended the bench and left the stack
    running)."""
    lifted: dict[str, Any] = {
        "log_level": "WARNING",
        "sandbox_agent_sub_account_limit": "1000000",
        "quota_in_flight": "1000000",
        "quota_starts_per_minute": "1000000",
        **settings,
    }
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with (
            tempfile.TemporaryDirectory(prefix="bench-") as scratch,
            run_stack(Path(scratch), workers=workers, **lifted) as stack,
        ):
            yield stack
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(_signal: int, _frame: FrameType | None) -> None:
    """SIGTERM ends a bench as Ctrl-C does: through the ``finally`` that stops its stack."""
    raise KeyboardInterrupt


async def start(api: httpx.AsyncClient, reference: str) -> dict[str, Any]:
    """Start an onboarding of :data:`BODY` under ``reference``; a 503 (Temporal too busy to take the start
    in time) is retried, as resellers do. Its status document."""
    for _ in range(60):
        answer = await api.post("/v1/onboardings", json={**BODY, "reference": reference})
        if answer.status_code != 503:
            break
        await asyncio.sleep(1)
    document: dict[str, Any] = answer.raise_for_status().json()
    return document
