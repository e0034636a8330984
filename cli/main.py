"""``onboard``: run the development stack and start, inspect or cancel onboardings."""

from __future__ import annotations

import typer

from cli.dev import dev

app = typer.Typer(help="Durable onboarding of KYC-gated telephony sub-accounts.", no_args_is_help=True)
app.command()(dev)


@app.callback()
def main() -> None:
    """Durable onboarding of KYC-gated telephony sub-accounts."""


if __name__ == "__main__":
    app()
