"""``onboard vault``: re-encrypt the stored sub-account credentials after a vault key rotation."""

from __future__ import annotations

import typer

from cli.db import migrated_engine
from config import get_settings

vault_app = typer.Typer(help="The credentials vault (sub-account auth tokens).", no_args_is_help=True)


@vault_app.command()
def rotate() -> None:
    """Re-encrypt every stored credential under the first key of ONBOARD_VAULT_KEYS.

    Run it after putting a new key first (worker and API restarted); then the old key can be dropped.
    """
    from store import credentials
    from store.vault import Vault, VaultError

    engine = migrated_engine()
    try:
        vault = Vault(get_settings().vault_keys)
        count = credentials.rotate(engine, vault)
    except VaultError as exc:
        typer.echo(f"vault: {exc}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(f"re-encrypted {count} credential(s) under key {vault.primary_key_id}")
