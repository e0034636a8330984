"""A full agent platform over the real stack (``onboard dev``): the onboarding waits in
``awaiting_agent_capacity``, visible to the reseller, the operator's route and command, the metrics and the
worker's log, and a cancel still ends it."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.stack import Stack, onboarding_body, run_stack

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def small_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """A stack whose agent platform (and our plan of it) holds one sub-account."""
    with run_stack(Path(tmp_path_factory.mktemp("capacity")), sandbox_agent_sub_account_limit="1") as stack:
        yield stack


def test_the_second_customer_waits_for_agent_capacity_visibly(small_stack: Stack) -> None:
    with small_stack.api() as api:
        first = api.post("/v1/onboardings", json=onboarding_body("cap-1", count=1, kyc_mode="personal_use"))
        done = small_stack.wait_for_status(api, first.json()["id"], {"completed", "failed"})
        assert done["status"] == "completed" and done["agent_account"] == "default"
        second = api.post("/v1/onboardings", json=onboarding_body("cap-2", count=1, kyc_mode="personal_use"))
        waiting = small_stack.wait_for_status(api, second.json()["id"], {"awaiting_agent_capacity"})
        assert waiting["next_action"]["actor"] == "operator"
        assert waiting["next_action"]["code"] == "add_agent_capacity"
        listed = api.get("/v1/onboardings", params={"actor": "operator"}).json()["items"]
        assert [item["id"] for item in listed] == [waiting["id"]]

        report = api.get("/ops/agent-capacity").json()
        assert report["accounts"] == [
            {
                "name": "default",
                "used": 1,
                "limit": 1,
                "free": 0,
                "full_since": None,
                "configured": True,
            }
        ]
        assert (report["free"], report["awaiting"]) == (0, 1)
        scraped = api.get("/metrics").text
        assert "onboardings_awaiting_agent_capacity 1.0" in scraped
        assert 'agent_slots_used{account="default"} 1.0' in scraped

        shown = capacity(small_stack)
        assert shown.returncode == 0, shown.stderr
        assert shown.stdout.splitlines()[-1] == "0 slot(s) free; 1 onboarding(s) awaiting agent capacity"
        worker_log = "".join(log.read_text() for log in Path(small_stack.data_dir).rglob("worker*.log"))
        assert f"agent capacity exhausted: onboarding {waiting['id']} waits" in worker_log

        assert api.post(f"/v1/onboardings/{waiting['id']}/cancel").status_code == 202
        cancelled = small_stack.wait_for_status(api, waiting["id"], {"cancelled", "failed"})
        assert cancelled["status"] == "cancelled"
    assert httpx.get(f"{small_stack.sandbox_url}/_sandbox/state").json()["agent_sub_accounts"] == 1
    assert capacity(small_stack).stdout.splitlines()[-1].endswith("0 onboarding(s) awaiting agent capacity")


def capacity(stack: Stack) -> subprocess.CompletedProcess[str]:
    """``onboard capacity`` against the stack's database."""
    onboard = str(Path(sys.executable).parent / "onboard")
    return subprocess.run(
        [onboard, "capacity"], env={**os.environ, **stack.env}, capture_output=True, text=True, timeout=60
    )
