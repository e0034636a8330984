"""``onboard suspend|resume|offboard|audit``: a completed customer's lifecycle from the command line.

Same exit codes as the other onboarding commands: 0 done, 1 refused (the API's reason on stderr), 2 the
API unreachable or failing.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.onboardings import DEFAULT_API_URL, ApiKey, ApiUrl, AsJson, OnboardingId, call, show

Note = Annotated[str | None, typer.Option("--note", help="a note kept in the audit log")]
IdempotencyKey = Annotated[
    str | None,
    typer.Option("--idempotency-key", help="send again with the same key after a lost answer"),
]


def _operate(
    onboarding_id: str,
    operation: str,
    body: dict[str, Any],
    key: str | None,
    api_url: str,
    api_key: str | None,
) -> dict[str, Any]:
    headers = {"Idempotency-Key": key} if key else None
    wanted = {name: value for name, value in body.items() if value is not None}
    path = f"/v1/onboardings/{onboarding_id}/{operation}"
    answered: dict[str, Any] = call(
        "POST", path, api_url=api_url, api_key=api_key, body=wanted, headers=headers
    ).json()
    return answered


def suspend(
    onboarding_id: OnboardingId,
    reason: Annotated[
        str, typer.Option("--reason", help="non_payment, kyc_past_due, abuse or reseller_request")
    ],
    note: Note = None,
    idempotency_key: IdempotencyKey = None,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """Suspend a customer: its calls are blocked, its numbers and agent kept."""
    body = {"reason": reason, "note": note}
    show(_operate(onboarding_id, "suspend", body, idempotency_key, api_url, api_key), as_json)


def resume(
    onboarding_id: OnboardingId,
    note: Note = None,
    idempotency_key: IdempotencyKey = None,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """Resume a suspended customer."""
    show(_operate(onboarding_id, "resume", {"note": note}, idempotency_key, api_url, api_key), as_json)


def offboard(
    onboarding_id: OnboardingId,
    numbers: Annotated[
        str, typer.Option("--numbers", help="release the carrier numbers, or keep them in your pool")
    ],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="print the plan; change nothing")] = False,
    note: Note = None,
    idempotency_key: IdempotencyKey = None,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """Offboard a customer: everything it holds at the providers is removed (``--dry-run``: the plan)."""
    body = {"numbers": numbers, "dry_run": dry_run or None, "note": note}
    answered = _operate(onboarding_id, "offboard", body, idempotency_key, api_url, api_key)
    if not dry_run:
        show(answered, as_json)
        return
    if as_json:
        typer.echo(json.dumps(answered, indent=2))
        return
    table = Table("action", "resource", "id", "when")
    for step in answered["steps"]:
        table.add_row(step["action"], step["resource"], step["id"] or "(by name)", step["when"])
    Console(width=160).print(table)


def audit(
    onboarding_id: OnboardingId,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """The customer's lifecycle operations: who asked, when, why."""
    log = call("GET", f"/v1/onboardings/{onboarding_id}/audit", api_url=api_url, api_key=api_key).json()
    if as_json:
        typer.echo(json.dumps(log, indent=2))
        return
    table = Table("#", "operation", "by", "at", "reason", "request")
    for entry in log["items"]:
        table.add_row(
            str(entry["seq"]),
            entry["operation"],
            entry["actor"],
            entry["at"],
            entry["reason"] or "-",
            json.dumps(entry["request"]),
        )
    Console(width=160).print(table)


def register(app: typer.Typer) -> None:
    """Add the lifecycle commands to the ``onboard`` app."""
    app.command()(suspend)
    app.command()(resume)
    app.command()(offboard)
    app.command()(audit)
