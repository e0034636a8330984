"""The lists read pages off an index in their order: with thousands of rows a page costs its own rows, not
a sort of every match (SQLite's plans: the embedded default, where a sort showed first, at 10,000
onboardings awaiting KYC)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from store import callback_log, migrate, onboardings
from store.db import make_engine
from tests.store.test_onboardings import T0, state


@pytest.fixture
def sqlite_engine(tmp_path: Path) -> Iterator[Engine]:
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    migrate.upgrade(url)
    engine = make_engine(url)
    yield engine
    engine.dispose()


def plans(engine: Engine, table: str, read: Callable[[], object]) -> list[str]:
    """SQLite's plan of each ordered statement on ``table`` that ``read`` runs, steps joined by `` / ``."""
    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "ORDER BY" in statement and f"FROM {table} " in statement:
            statements.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        read()
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    with engine.connect() as connection:
        return [
            " / ".join(str(row[-1]) for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", args))
            for sql, args in statements
        ]


def assert_read_off(index_prefix: str, steps: list[str]) -> None:
    assert steps, "no ordered statement ran"
    for plan in steps:
        assert "TEMP B-TREE" not in plan and index_prefix in plan, plan


@pytest.mark.parametrize("statuses", [{"awaiting_kyc"}, None])
def test_a_page_of_onboardings_reads_an_index(sqlite_engine: Engine, statuses: set[str] | None) -> None:
    engine = sqlite_engine
    for i in range(3):
        waiting = state(f"p{i}", created=T0 + timedelta(seconds=i), status="awaiting_kyc")
        onboardings.claim(engine, waiting, "h")
    first, cursor = onboardings.list_states(
        engine, reseller="default", statuses=statuses, limit=1, cursor=None
    )
    assert first and cursor is not None

    def both_pages() -> None:
        onboardings.list_states(engine, reseller="default", statuses=statuses, limit=1, cursor=None)
        onboardings.list_states(engine, reseller="default", statuses=statuses, limit=1, cursor=cursor)

    assert_read_off("ix_onboardings_reseller_", plans(engine, "onboardings", both_pages))


def test_a_page_of_callbacks_reads_an_index(sqlite_engine: Engine) -> None:
    def first_page() -> None:
        callback_log.list_events(sqlite_engine, reseller="default", now=T0)

    assert_read_off(
        "ix_callback_events_reseller_created", plans(sqlite_engine, "callback_events", first_page)
    )
