"""``onboard db``: migrate the database schema (``upgrade`` before starting a new release)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

from config import get_settings

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

# The database modules (SQLAlchemy, Alembic) are imported by the commands that use them: importing them
# here would make every `onboard` command, those that only speak HTTP included, start a second slower.

db_app = typer.Typer(help="Database schema migrations.", no_args_is_help=True)


@db_app.command()
def upgrade(revision: str = typer.Argument("head", help="target revision")) -> None:
    """Migrate ONBOARD_DATABASE_URL up to the newest revision (or REVISION)."""
    from store import migrate

    migrate.upgrade(get_settings().database_url, revision)
    typer.echo(f"database at revision {_current()}")


@db_app.command()
def downgrade(revision: str = typer.Argument(..., help="target revision; 'base' drops every table")) -> None:
    """Migrate ONBOARD_DATABASE_URL down to REVISION."""
    from store import migrate

    migrate.downgrade(get_settings().database_url, revision)
    typer.echo(f"database at revision {_current()}")


@db_app.command()
def current() -> None:
    """Print the database's revision and the code's; exit 1 when they differ."""
    from store import migrate

    at, head = _current(), migrate.head()
    typer.echo(f"database at revision {at}, code expects {head}")
    if at != head:
        typer.echo("run `onboard db upgrade`", err=True)
        raise typer.Exit(1)


@db_app.command()
def revision(message: str = typer.Argument(..., help="what the schema change does")) -> None:
    """Write a new migration from the difference between the models and the (upgraded) database."""
    from store import migrate

    path = migrate.new_revision(get_settings().database_url, message)
    typer.echo(f"wrote {path}: review it, then add a test if it moves data")


def _current() -> str:
    from store import migrate
    from store.db import make_engine

    engine = make_engine(get_settings().database_url)
    try:
        return migrate.current(engine) or "none"
    finally:
        engine.dispose()


def migrated_engine() -> Engine:
    """The database: upgraded first in development (as ``onboard dev`` does); elsewhere it must be current."""
    from store import migrate
    from store.db import make_engine

    settings = get_settings()
    if settings.environment == "development":
        migrate.upgrade(settings.database_url)
    engine = make_engine(settings.database_url)
    try:
        migrate.require_current(engine)
    except migrate.SchemaOutOfDate as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    return engine
