"""``onboard capacity`` as an operator runs it: slots per agent-platform account and who waits, and never
an account's key."""

from __future__ import annotations

from pathlib import Path

from store import agent_capacity, migrate, onboardings
from store.db import make_engine
from tests.security.test_keys_cli import onboard
from tests.support.documents import status_document

SECOND_KEY = "sk_test_second_capacity_key"


def test_capacity_shows_use_per_account_the_full_mark_and_the_waiting(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'capacity.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    agent_capacity.sync_accounts(engine, ["default", "second"], limit=2)
    for n in range(3):
        agent_capacity.take(engine, f"onboarding-c{n}", ["default", "second"])
    agent_capacity.mark_full(engine, "second", "onboarding-c2")
    waiting = status_document("awaiting_agent_capacity", reference="c9")
    onboardings.claim(engine, waiting, "h")
    engine.dispose()

    shown = onboard(url, "capacity", agents_accounts=f"second:{SECOND_KEY},third:sk_test_third")

    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines[0].split() == ["ACCOUNT", "USED", "LIMIT", "FREE", "FULL", "SINCE"]
    assert lines[1].split() == ["default", "2", "2", "0", "-"]
    second = lines[2].split()
    assert second[:4] == ["second", "0", "2", "0"] and second[4][:2] == "20", "full since a date"
    assert lines[3].split()[:4] == ["third", "0", "25", "25"], "configured, not yet seen by a worker"
    assert lines[-1] == "25 slot(s) free; 1 onboarding(s) awaiting agent capacity"
    assert SECOND_KEY not in shown.stdout + shown.stderr
