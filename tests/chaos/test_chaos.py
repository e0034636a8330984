"""Nothing lost, nothing twice, nothing left billing: 24 onboardings with mixed outcomes and both kinds of
numbers, and a batch of 10 sent twice, through provider faults on every route (dropped answers included,
with idempotency keys ignored as the real providers do), killed workers, a restarted Temporal server and
API, and abused webhooks; some approved customers are then suspended, resumed and offboarded through the
same chaos (nothing left of the offboarded ones); the agent platform holds fewer sub-accounts than the
customers reaching it, so some onboardings wait for an agent-platform slot until those offboardings free
theirs, and end where their customers lead them; every batch row is started once and ends as its customer
led it; every status change reaches the reseller's endpoint, in order, though one endpoint fails at random
and one hangs."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.chaos import run_chaos

pytestmark = [pytest.mark.chaos, pytest.mark.slow, pytest.mark.timeout(600)]


async def test_two_dozen_onboardings_survive_the_chaos(tmp_path: Path) -> None:
    report = await run_chaos(tmp_path, 24, fault_rate=0.1)
    print(report.line())
    for problem in report.problems:
        print("  problem:", problem)
    assert report.problems == []
    assert report.batch_rows == 10
    assert report.duplicates == 0 and report.lost == 0 and report.orphaned == 0 and report.undelivered == 0
    assert (report.agent_slots, report.agent_slots_needed) == (13, 15)
    assert report.waited_for_capacity >= 1
    assert report.worker_kills == 3 and report.server_restarts == 1 and report.api_restarts == 1
    assert all(report.faults.get(kind, 0) > 0 for kind in ("error", "rate_limit", "drop"))
