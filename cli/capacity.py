"""``onboard capacity``: agent-platform sub-account slots per master account, and who waits for one."""

from __future__ import annotations

import typer

from cli.db import migrated_engine
from config import get_settings


def capacity() -> None:
    """Show each agent-platform master account's slots (used/limit, full since) and how many onboardings
    wait in awaiting_agent_capacity. Reads the database (ONBOARD_DATABASE_URL)."""
    from store import agent_capacity

    settings = get_settings()
    engine = migrated_engine()
    try:
        accounts = list(settings.agent_accounts())
        seen = agent_capacity.overview(engine, accounts, settings.agents_sub_account_limit)
    finally:
        engine.dispose()
    typer.echo(f"{'ACCOUNT':<34}{'USED':>6}{'LIMIT':>7}{'FREE':>6}  FULL SINCE")
    for account in seen.accounts:
        full = "-" if account.full_since is None else account.full_since.strftime("%Y-%m-%d %H:%M:%S")
        note = "" if account.configured else "  (no longer configured)"
        typer.echo(f"{account.name:<34}{account.used:>6}{account.limit:>7}{account.free:>6}  {full}{note}")
    typer.echo(f"{seen.free} slot(s) free; {seen.waiting} onboarding(s) awaiting agent capacity")
