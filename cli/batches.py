"""``onboard batch start|status|pause|resume|cancel``: bulk onboarding through the reseller API.

``--watch`` follows a batch with a progress bar until every row is decided; Ctrl-C leaves the bar and
the batch goes on: ``onboard batch status ID --watch`` picks it up again. Exit codes as the other
onboarding commands: 1 refused (the API's message and every row's problem on stderr), 2 unreachable.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from cli.onboardings import DEFAULT_API_URL, WATCH_INTERVAL_S, ApiKey, ApiUrl, AsJson, call, fail
from domain.batch import FINISHED_BATCH_STATES, NOT_STARTED

batch_app = typer.Typer(
    help="Bulk onboarding: start a batch from a CSV or JSON-lines file, follow, pause, resume or cancel it.",
    no_args_is_help=True,
)

BatchId = Annotated[str, typer.Argument(help="the batch id `onboard batch start` printed, e.g. batch-spring")]
Watch = Annotated[
    bool, typer.Option("--watch", help="follow it with a progress bar (Ctrl-C leaves it running)")
]

#: the content type a batch file is sent as, by its extension
CONTENT_TYPES = {".csv": "text/csv", ".jsonl": "application/x-ndjson", ".ndjson": "application/x-ndjson"}


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{name} {count}" for name, count in counts.items() if count) or "-"


def _slots(preflight: dict[str, Any]) -> str:
    needed, free = preflight["agent_slots_needed"], preflight["agent_slots_free"]
    under_quota = "" if free is None else f"{free} free under your quota, "
    verdict = "" if preflight["enough"] else ": NOT ENOUGH"
    return f"{needed} needed, {under_quota}{preflight['platform_slots_free']} free on the platform{verdict}"


def show(document: dict[str, Any], as_json: bool) -> None:
    """Print a batch, as JSON or as aligned lines with its failed rows."""
    if as_json:
        typer.echo(json.dumps(document, indent=2))
        return
    waiting = document.get("waiting_for")
    rows = [
        ("id", document["id"]),
        ("reference", document["reference"]),
        ("state", document["state"]),
        ("rows", f"{document['rows']}: {_counts(document['outcomes'])}"),
        ("onboardings", _counts(document["statuses"])),
        ("waiting", f"for {waiting} until {document['waiting_until']}" if waiting else None),
        ("agent slots", _slots(document["preflight"])),
        ("failed rows", document["rows_failed"]),
        ("temporal ui", document["links"]["temporal_ui"]),
    ]
    for label, value in rows:
        typer.echo(f"{label:<12} {value if value is not None else '-'}")
    for failed in document["failed_rows"]:
        typer.echo(f"  row {failed['row']} ({failed['reference']}): {failed['outcome']}: {failed['reason']}")


def _describe(document: dict[str, Any]) -> str:
    outcomes = document["outcomes"]
    onboarded = outcomes["started"] + outcomes["existing"]
    not_started = sum(outcomes[name] for name in NOT_STARTED)
    waiting = f", waiting for {document['waiting_for']}" if document.get("waiting_for") else ""
    return f"{document['state']}: {onboarded} onboarding, {not_started} not started{waiting}"


def watch(document: dict[str, Any], *, api_url: str, api_key: str | None) -> dict[str, Any]:
    """Follow the batch with a progress bar until it finishes; Ctrl-C leaves it (exit 0, it goes on)."""
    path = f"/v1/batches/{document['id']}"
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    try:
        with Progress(*columns, console=Console(stderr=True)) as progress:
            task = progress.add_task(_describe(document), total=document["rows"])
            while True:
                decided = document["rows"] - document["outcomes"]["pending"]
                progress.update(task, completed=decided, description=_describe(document))
                if document["state"] in FINISHED_BATCH_STATES:
                    return document
                time.sleep(WATCH_INTERVAL_S)
                document = call("GET", path, api_url=api_url, api_key=api_key).json()
    except KeyboardInterrupt:
        typer.echo(f"left the batch running: onboard batch status {document['id']} --watch", err=True)
        raise typer.Exit(0) from None


@batch_app.command()
def start(
    file: Annotated[Path, typer.Argument(help="a .csv (see docs/batch-template.csv) or .jsonl file")],
    reference: Annotated[
        str | None, typer.Option(help="your own id for the batch (default: a hash of its rows)")
    ] = None,
    watch_it: Watch = False,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """Start a batch of onboardings, one per row; the same file again shows the same batch."""
    content_type = CONTENT_TYPES.get(file.suffix.lower())
    if content_type is None:
        fail(1, f"{file}: give a .csv, .jsonl or .ndjson file")
    try:
        content = file.read_bytes()
    except OSError as exc:
        fail(1, f"cannot read {file}: {exc.strerror}")
    params = {"reference": reference} if reference else None
    response = call(
        "POST",
        "/v1/batches",
        api_url=api_url,
        api_key=api_key,
        params=params,
        content=(content, content_type),
    )
    document = response.json()
    if not as_json:
        typer.echo("started" if response.status_code == 202 else "this batch was sent before: the same batch")
        show(document, as_json)  # with the preflight: the agent slots its rows need
    if watch_it:
        document = watch(document, api_url=api_url, api_key=api_key)
    if as_json or watch_it:
        show(document, as_json)


@batch_app.command()
def status(
    batch_id: BatchId,
    watch_it: Watch = False,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """Show where a batch stands: rows per outcome, its onboardings per status, the failed rows."""
    document = call("GET", f"/v1/batches/{batch_id}", api_url=api_url, api_key=api_key).json()
    if watch_it:
        document = watch(document, api_url=api_url, api_key=api_key)
    show(document, as_json)


def _changing(update: str, summary: str) -> Callable[..., None]:
    """The command asking the API to ``update`` a batch, then showing it."""

    def command(
        batch_id: BatchId, api_url: ApiUrl = DEFAULT_API_URL, api_key: ApiKey = None, as_json: AsJson = False
    ) -> None:
        path = f"/v1/batches/{batch_id}/{update}"
        show(call("POST", path, api_url=api_url, api_key=api_key).json(), as_json)

    command.__doc__ = summary
    return command


for _update, _summary in (
    ("pause", "Start no more rows until resumed (the rows being started finish first)."),
    ("resume", "Start the rows left again."),
    ("cancel", "Start no more rows (they are skipped); the onboardings already started go on."),
):
    batch_app.command(_update)(_changing(_update, _summary))
