"""Alembic environment: the store's SQLModel metadata, the URL handed over by ``store.migrate``.

On PostgreSQL the migration takes a transaction-scoped advisory lock first, so two processes upgrading
at once (say, two replicas of a migrate job) run one after the other instead of racing.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from alembic.autogenerate.api import AutogenContext
from sqlalchemy import text
from sqlmodel import AutoString, SQLModel

from store.db import make_engine

#: an arbitrary constant naming "the onboarding schema migration" among advisory locks
_MIGRATION_LOCK_ID = 0x6F6E626F61726400


def _render_item(kind: str, item: Any, _context: AutogenContext) -> str | Literal[False]:
    """Render sqlmodel's AutoString as ``sa.String`` so revisions do not depend on sqlmodel."""
    if kind == "type" and isinstance(item, AutoString):
        return f"sa.String(length={item.length})" if item.length else "sa.String()"
    return False


def run_migrations_online() -> None:
    """Run the pending migrations in one transaction (PostgreSQL) or batch mode (SQLite)."""
    url = context.config.attributes.get("database_url")
    if not isinstance(url, str):
        raise RuntimeError("run migrations through store.migrate (it passes the database URL)")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=SQLModel.metadata,
                render_as_batch=True,
                compare_type=True,
                render_item=_render_item,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    connection.execute(text("SELECT pg_advisory_xact_lock(:id)"), {"id": _MIGRATION_LOCK_ID})
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise RuntimeError("offline (--sql) migrations are not supported; run `onboard db upgrade`")
run_migrations_online()
