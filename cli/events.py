"""``onboard events``: the callback log (each callback, its delivery attempts and their answers) and
redelivery, through the reseller API."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from cli.onboardings import DEFAULT_API_URL, ApiKey, ApiUrl, AsJson, call

events_app = typer.Typer(help="The callbacks sent to you, and redelivery.", no_args_is_help=True)

EventId = Annotated[str, typer.Argument(help="the callback's webhook-id, e.g. onboarding-cust-42:3")]


def _answers(event: dict[str, Any]) -> str:
    marks = [str(a["answered"] or "no answer") + ("*" if a["redelivery"] else "") for a in event["attempts"]]
    return " ".join(marks) or "-"


@events_app.command("list")
def list_events(
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    onboarding: Annotated[str | None, typer.Option("--onboarding", help="only this onboarding's")] = None,
    event_type: Annotated[str | None, typer.Option("--type", help="only this event type")] = None,
    state: Annotated[str | None, typer.Option("--state", help="pending, delivered or given_up")] = None,
    since: Annotated[str | None, typer.Option("--since", help="only changes from this ISO time on")] = None,
    limit: Annotated[int, typer.Option("--limit", help="page size (1-100)")] = 20,
    cursor: Annotated[str | None, typer.Option("--cursor", help="next cursor of the previous page")] = None,
    as_json: AsJson = False,
) -> None:
    """List your callbacks, newest first, with the answers of their attempts (* redelivery)."""
    wanted = {
        "onboarding_id": onboarding,
        "type": event_type,
        "state": state,
        "since": since,
        "limit": limit,
        "cursor": cursor,
    }
    params = {k: v for k, v in wanted.items() if v is not None}
    page = call("GET", "/v1/events", api_url=api_url, api_key=api_key, params=params).json()
    if as_json:
        typer.echo(json.dumps(page, indent=2))
        return
    table = Table("id", "status", "state", "answers", "at")
    for event in page["items"]:
        table.add_row(
            event["id"], event["onboarding_status"], event["state"], _answers(event), event["created_at"]
        )
    Console(width=160).print(table)
    if page["next_cursor"]:
        typer.echo(f"more: --cursor {page['next_cursor']}")


@events_app.command()
def redeliver(
    event_id: EventId, api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = None, as_json: AsJson = False
) -> None:
    """Deliver a callback again, under the same webhook-id; `onboard events list` shows the attempt."""
    answer = call("POST", f"/v1/events/{event_id}/redeliver", api_url=api_url, api_key=api_key).json()
    if as_json:
        typer.echo(json.dumps(answer, indent=2))
        return
    typer.echo(f"redelivery of {event_id} started (workflow {answer['workflow_id']})")
