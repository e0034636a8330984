"""``onboard callbacks``: the secret a reseller verifies its status callbacks with."""

from __future__ import annotations

import typer

from config import get_settings

callbacks_app = typer.Typer(help="Status callbacks to resellers.", no_args_is_help=True)


@callbacks_app.command()
def secret(
    reseller: str = typer.Option(..., help="The reseller whose callbacks are verified (lowercase slug)."),
) -> None:
    """Print the reseller's callback verification secret(s), one per line, newest first.

    Give the reseller the first line. While ONBOARD_CALLBACK_SIGNING_KEYS lists an old key too (rotation),
    callbacks carry both signatures, so the reseller's old secret keeps working until the key is dropped.
    """
    from callbacks.signing import CallbackSigner
    from store import api_keys

    try:
        api_keys.check_reseller(reseller)
    except api_keys.InvalidReseller as exc:
        raise typer.BadParameter(str(exc), param_hint="--reseller") from None
    secrets = CallbackSigner(get_settings().callback_signing_keys).secrets_for(reseller)
    typer.echo(f"Callback secret(s) for reseller {reseller!r}, newest first (Standard Webhooks):", err=True)
    for value in secrets:
        typer.echo(value)
