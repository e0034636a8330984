"""Store databases: every test runs on SQLite and, when ONBOARD_TEST_POSTGRES_URL is set, on PostgreSQL.

ONBOARD_TEST_POSTGRES_URL names a database on a server where its role may create databases
(``.ci/run`` starts such a server); each test module gets a database of its own, dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

from store import migrate
from store.db import make_engine

POSTGRES_URL = os.environ.get("ONBOARD_TEST_POSTGRES_URL", "")

BACKENDS = [
    "sqlite",
    pytest.param(
        "postgresql",
        marks=pytest.mark.skipif(not POSTGRES_URL, reason="ONBOARD_TEST_POSTGRES_URL is not set"),
    ),
]


@contextmanager
def postgres_database(server_url: str) -> Iterator[str]:
    """A new empty database on the server of ``server_url``; yields its URL, drops it afterwards."""
    name = f"onboard_test_{secrets.token_hex(6)}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


@contextmanager
def empty_database(backend: str, folder: Path) -> Iterator[str]:
    """The URL of a database with no tables on ``backend`` (``sqlite`` in ``folder``, or ``postgresql``)."""
    if backend == "sqlite":
        yield f"sqlite:///{folder / 'store.db'}"
    else:
        with postgres_database(POSTGRES_URL) as url:
            yield url


@pytest.fixture(params=BACKENDS)
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database that was never migrated, for the migration tests."""
    with empty_database(request.param, tmp_path) as url:
        yield url


@pytest.fixture(scope="module", params=BACKENDS)
def migrated_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """One migrated database per test module and backend."""
    with empty_database(request.param, tmp_path_factory.mktemp("store")) as url:
        migrate.upgrade(url)
        engine = make_engine(url)
        yield engine
        engine.dispose()


@pytest.fixture
def engine(migrated_engine: Engine) -> Engine:
    """An empty, migrated database: the module's database with every row deleted."""
    with migrated_engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())
    return migrated_engine
