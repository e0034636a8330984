"""``onboard keys``: create, list and revoke reseller API keys (stored hashed; a key is shown once)."""

from __future__ import annotations

from datetime import datetime

import typer

from cli.db import migrated_engine

keys_app = typer.Typer(help="Create, list and revoke reseller API keys.", no_args_is_help=True)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment is not None else "-"


@keys_app.command()
def create(
    reseller: str = typer.Option(..., help="The reseller the key belongs to (lowercase slug)."),
) -> None:
    """Create a key for a reseller; it is printed once, alone on the last line."""
    from store import api_keys

    try:
        key = api_keys.create(migrated_engine(), reseller)
    except api_keys.InvalidReseller as exc:
        raise typer.BadParameter(str(exc), param_hint="--reseller") from None
    typer.echo(f"API key for reseller {reseller!r}; it is shown only this once, store it now:")
    typer.echo(key)


@keys_app.command("list")
def list_keys(reseller: str | None = typer.Option(None, help="Only this reseller's keys.")) -> None:
    """List keys by prefix (the key itself is never stored in clear, so never shown)."""
    from store import api_keys

    rows = api_keys.list_keys(migrated_engine(), reseller)
    typer.echo(f"{'PREFIX':<14}{'RESELLER':<24}{'CREATED':<21}REVOKED")
    for row in rows:
        typer.echo(f"{row.prefix:<14}{row.reseller:<24}{_when(row.created_at):<21}{_when(row.revoked_at)}")


@keys_app.command()
def revoke(prefix: str = typer.Argument(..., help="The prefix shown by `onboard keys list`.")) -> None:
    """Revoke a key: requests with it are refused from now on."""
    from store import api_keys

    if not api_keys.revoke(migrated_engine(), prefix):
        typer.echo(f"no active key with prefix {prefix!r}", err=True)
        raise typer.Exit(1)
    typer.echo(f"revoked {prefix}")
