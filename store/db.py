"""Engine construction: SQLite file by default (WAL, busy timeout), PostgreSQL by URL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import create_engine

from store import models as _models  # noqa: F401  (registers the tables on SQLModel.metadata)

#: SQLite connections kept open: as many as the threads that may read at once (anyio's default of 40),
#: so that concurrent reads reuse them. Past the pool's default five, each read opened a file and ran
#: the pragmas again: a tenth of the API's CPU on every status GET with 20 readers.
SQLITE_POOL_SIZE = 40


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the parent folder is created and WAL mode switched on. Bound
    parameters (tokens, emails) never appear in its errors or logs."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            hide_parameters=True,
            pool_size=SQLITE_POOL_SIZE,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, hide_parameters=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()
