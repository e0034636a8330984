"""The stack the benchmarks measure: ``onboard dev`` in a scratch folder, with the provider's and the
resellers' limits lifted (the pipeline is measured, whatever the count), and the request they start."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
def bench_stack(workers: int = 1) -> Iterator[Stack]:
    """A fresh stack with ``workers`` worker processes, removed when the block ends."""
    with (
        tempfile.TemporaryDirectory(prefix="bench-") as scratch,
        run_stack(
            Path(scratch),
            workers=workers,
            log_level="WARNING",
            sandbox_agent_sub_account_limit="1000000",
            quota_in_flight="1000000",
            quota_starts_per_minute="1000000",
        ) as stack,
    ):
        yield stack
