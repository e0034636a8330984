"""Migrations: from empty to head and back, models and migrations agree, the CLI, the startup guard."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect
from sqlmodel import SQLModel

from store import migrate, onboardings
from store.db import make_engine
from tests.store.test_onboardings import state

TABLES = {
    "onboardings",
    "webhook_events",
    "sub_account_credentials",
    "kyc_sessions",
    "api_keys",
    "number_claims",
    "callback_events",
    "callback_attempts",
    "batches",
    "batch_rows",
    "lifecycle_audit",
    "agent_accounts",
    "agent_slots",
}


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_from_empty_downgrade_to_base_and_upgrade_again(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    assert tables(empty_url) == TABLES
    migrate.downgrade(empty_url, "base")
    assert tables(empty_url) == set()
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        assert migrate.current(engine) == migrate.head()
        migrate.require_current(engine)
        _, created = onboardings.claim(engine, state("after-reupgrade"), "h")
        assert created
    finally:
        engine.dispose()


def test_models_and_migrations_agree(empty_url: str) -> None:
    migrate.upgrade(empty_url)
    engine = make_engine(empty_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            assert compare_metadata(context, SQLModel.metadata) == []
    finally:
        engine.dispose()


def test_an_unmigrated_database_is_refused_with_the_command_that_fixes_it(empty_url: str) -> None:
    engine = make_engine(empty_url)
    try:
        assert migrate.current(engine) is None
        with pytest.raises(migrate.SchemaOutOfDate, match="run `onboard db upgrade`"):
            migrate.require_current(engine)
    finally:
        engine.dispose()


def onboard(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ONBOARD_DATABASE_URL": url}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "db", *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_onboard_db_commands_migrate_and_report(tmp_path: Path) -> None:
    empty_url = f"sqlite:///{tmp_path / 'cli.db'}"
    behind = onboard(empty_url, "current")
    assert behind.returncode == 1 and "onboard db upgrade" in behind.stderr
    upgraded = onboard(empty_url, "upgrade")
    assert upgraded.returncode == 0, upgraded.stderr
    assert f"database at revision {migrate.head()}" in upgraded.stdout
    assert onboard(empty_url, "current").returncode == 0
    assert onboard(empty_url, "downgrade", "base").returncode == 0
    assert tables(empty_url) == set()
