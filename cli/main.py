"""``onboard``: run the development stack and start, inspect or cancel onboardings."""

from __future__ import annotations

import typer

from cli.batches import batch_app
from cli.callbacks import callbacks_app
from cli.capacity import capacity
from cli.db import db_app
from cli.dev import dev
from cli.events import events_app
from cli.keys import keys_app
from cli.lifecycle import register as register_lifecycle_commands
from cli.onboardings import register as register_onboarding_commands
from cli.sandbox import sandbox_app
from cli.vault import vault_app

app = typer.Typer(help="Durable onboarding of KYC-gated telephony sub-accounts.", no_args_is_help=True)
app.command()(dev)
app.command()(capacity)
app.add_typer(batch_app, name="batch")
app.add_typer(callbacks_app, name="callbacks")
app.add_typer(db_app, name="db")
app.add_typer(events_app, name="events")
app.add_typer(keys_app, name="keys")
app.add_typer(sandbox_app, name="sandbox")
app.add_typer(vault_app, name="vault")
register_onboarding_commands(app)
register_lifecycle_commands(app)


@app.callback()
def main() -> None:
    """Durable onboarding of KYC-gated telephony sub-accounts."""


if __name__ == "__main__":
    app()
