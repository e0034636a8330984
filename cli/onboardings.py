"""``onboard start|status|list|cancel|kyc-restart``: the reseller API from the command line.

Exit codes: 0 done, 1 the API refused the request (4xx: its message and fields go to stderr), 2 the API
is unreachable or failing (5xx). The API key is sent, never printed.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any, NoReturn

import httpx
import typer
from rich.console import Console
from rich.table import Table

from config import get_settings
from domain.lifecycle import WORKING_LIFECYCLE_STATUSES
from domain.onboarding import TERMINAL_STATUSES

DEFAULT_API_URL = "http://127.0.0.1:8000"
WATCH_INTERVAL_S = 1.0

ApiUrl = Annotated[str, typer.Option("--api-url", envvar="ONBOARD_API_URL", help="base URL of the API")]
ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar="ONBOARD_API_KEY",
        show_default=False,
        help="reseller API key (default: the key `onboard dev` keeps in <data_dir>/api-key)",
    ),
]
AsJson = Annotated[bool, typer.Option("--json", help="print the JSON document as the API answered it")]
OnboardingId = Annotated[str, typer.Argument(help="the onboarding id, e.g. onboarding-cust-42")]


def fail(code: int, message: str, fields: list[dict[str, Any]] | None = None) -> NoReturn:
    """Print ``message`` and the fields to blame on stderr, and exit with ``code``."""
    typer.echo(f"error: {message}", err=True)
    for field in fields or []:
        typer.echo(f"  {field.get('field', '?')}: {field.get('message', '')}", err=True)
    raise typer.Exit(code)


def _api_key(explicit: str | None) -> str | None:
    if explicit:
        return explicit
    path = Path(get_settings().data_dir) / "api-key"
    return path.read_text().strip() if path.is_file() else None


def call(
    method: str,
    path: str,
    *,
    api_url: str,
    api_key: str | None,
    body: Any = None,
    params: dict[str, Any] | None = None,
    content: tuple[bytes, str] | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """Send one request (a JSON ``body``, or raw ``content`` with its content type); on failure print the
    API's error and exit 1 (4xx) or 2 (unreachable, 5xx)."""
    key = _api_key(api_key)
    headers = {**(headers or {}), **({"Authorization": f"Bearer {key}"} if key else {})}
    raw, content_type = content or (None, None)
    if content_type:
        headers["Content-Type"] = content_type
    try:
        with httpx.Client(base_url=api_url, headers=headers, timeout=60.0) as client:
            response = client.request(method, path, json=body, params=params, content=raw)
    except httpx.HTTPError as exc:
        fail(2, f"the API at {api_url} is unreachable ({type(exc).__name__})")
    if response.is_success:
        return response
    try:
        error = response.json()["error"]
        message, fields = str(error["message"]), list(error.get("fields") or [])
    except (ValueError, KeyError, TypeError):
        message, fields = f"HTTP {response.status_code}", []
    if response.status_code == 401 and key is None:
        message += " (pass --api-key or set ONBOARD_API_KEY)"
    fail(2 if response.status_code >= 500 else 1, message, fields)


def show(document: dict[str, Any], as_json: bool) -> None:
    """Print a status document, as JSON or as aligned lines."""
    if as_json:
        typer.echo(json.dumps(document, indent=2))
        return
    kyc = document.get("kyc") or {}
    parts = (kyc.get("status"), kyc.get("flow") and f"[{kyc['flow']}]", kyc.get("progress"), kyc.get("url"))
    kyc_line = " ".join(str(part) for part in parts if part)
    if kyc.get("expires_at"):
        kyc_line += f" (expires {kyc['expires_at']})"
    error = document.get("error")
    action = document.get("next_action") or {}
    next_line = f"{action.get('actor')}: {action.get('message')}" if action else None
    if action.get("due_by"):
        next_line = f"{next_line} (by {action['due_by']})"
    rows = [
        ("id", document.get("id")),
        ("reference", document.get("reference")),
        ("status", document.get("status")),
        ("kyc", kyc_line or None),
        ("sub-account", document.get("sub_account_id")),
        ("numbers", ", ".join(document.get("numbers") or []) or None),
        ("cool-off", document.get("cool_off_until")),
        ("agent", document.get("agent_id")),
        ("error", f"{error['type']}: {error['message']}" if error else None),
        ("next", next_line),
        ("updated", document.get("updated_at")),
        ("temporal ui", (document.get("links") or {}).get("temporal_ui")),
        ("customer ui", (document.get("links") or {}).get("customer_temporal_ui")),
    ]
    for label, value in rows:
        typer.echo(f"{label:<12} {value if value is not None else '-'}")


def _start_body(
    file: Path | None, flags: dict[str, Any], numbers: dict[str, Any], agent: dict[str, Any]
) -> dict[str, Any]:
    given = {k: v for k, v in flags.items() if v is not None}
    if file is not None:
        if given or any(v is not None for v in (*numbers.values(), *agent.values())):
            fail(1, "give either --file or the field options, not both")
        try:
            loaded = json.loads(Path(file).read_text())
        except (OSError, ValueError) as exc:
            fail(1, f"cannot read {file}: {exc}")
        if not isinstance(loaded, dict):
            fail(1, f"{file} must hold a JSON object")
        return loaded
    for name, part in (("numbers", numbers), ("agent", agent)):
        present = {k: v for k, v in part.items() if v is not None}
        if present:
            given[name] = present
    return given


def start(
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    file: Annotated[Path | None, typer.Option("--file", help="a JSON body for POST /v1/onboardings")] = None,
    reference: Annotated[str | None, typer.Option(help="your own id for the customer")] = None,
    business_name: Annotated[str | None, typer.Option()] = None,
    email: Annotated[str | None, typer.Option()] = None,
    business_type: Annotated[str | None, typer.Option(help="e.g. individual, private_limited")] = None,
    kyc_mode: Annotated[str | None, typer.Option(help="customer_use or personal_use")] = None,
    country: Annotated[str | None, typer.Option(help="ISO country of the numbers, e.g. IN")] = None,
    count: Annotated[int | None, typer.Option(help="how many numbers")] = None,
    numbers_provider: Annotated[
        str | None, typer.Option(help="carrier (API default) or agent_platform: who sells the numbers")
    ] = None,
    agent_name: Annotated[str | None, typer.Option()] = None,
    system_prompt: Annotated[str | None, typer.Option()] = None,
    kyc_flow: Annotated[
        str | None, typer.Option(help="email (API default: the provider mails the link) or redirect")
    ] = None,
    kyc_redirect_url: Annotated[
        str | None, typer.Option(help="where the customer's browser returns after a redirect KYC session")
    ] = None,
    expires_in_days: Annotated[
        int | None, typer.Option(help="hosted KYC link lifetime (API default 7)")
    ] = None,
    callback_url: Annotated[
        str | None, typer.Option(help="where to POST each status change (signed, see `onboard callbacks`)")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """Start an onboarding (the same reference and request again shows the existing one)."""
    flags = {
        "reference": reference,
        "business_name": business_name,
        "email": email,
        "business_type": business_type,
        "kyc_mode": kyc_mode,
        "kyc_flow": kyc_flow,
        "kyc_redirect_url": kyc_redirect_url,
        "kyc_expires_in_days": expires_in_days,
        "callback_url": callback_url,
    }
    body = _start_body(
        file,
        flags,
        {"country": country, "count": count, "provider": numbers_provider},
        {"name": agent_name, "system_prompt": system_prompt},
    )
    response = call("POST", "/v1/onboardings", api_url=api_url, api_key=api_key, body=body)
    if not as_json:
        typer.echo("started" if response.status_code == 202 else "already started with this request")
    show(response.json(), as_json)


def status(
    onboarding_id: OnboardingId,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    as_json: AsJson = False,
    watch: Annotated[bool, typer.Option("--watch", help="follow each step live until the end")] = False,
) -> None:
    """Show where an onboarding stands (``--watch``: follow it step by step until it ends)."""
    path = f"/v1/onboardings/{onboarding_id}"
    document = call("GET", path, api_url=api_url, api_key=api_key).json()
    if not watch:
        show(document, as_json)
        return
    seen = None
    while True:
        if document["status"] != seen:
            seen = document["status"]
            typer.echo(f"{document['updated_at']}  {seen}")
        if seen in TERMINAL_STATUSES and seen not in WORKING_LIFECYCLE_STATUSES:
            show(document, as_json)
            return
        time.sleep(WATCH_INTERVAL_S)
        document = call("GET", path, api_url=api_url, api_key=api_key).json()


def list_onboardings(
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    status: Annotated[str | None, typer.Option("--status", help="only this status")] = None,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="only those waiting on customer, reseller, operator or nobody"),
    ] = None,
    limit: Annotated[int, typer.Option("--limit", help="page size (1-100)")] = 20,
    cursor: Annotated[
        str | None, typer.Option("--cursor", help="next cursor printed by the previous page")
    ] = None,
    as_json: AsJson = False,
) -> None:
    """List your onboardings, newest first."""
    wanted = {"status": status, "actor": actor, "limit": limit, "cursor": cursor}
    params = {k: v for k, v in wanted.items() if v is not None}
    page = call("GET", "/v1/onboardings", api_url=api_url, api_key=api_key, params=params).json()
    if as_json:
        typer.echo(json.dumps(page, indent=2))
        return
    table = Table("id", "reference", "status", "kyc", "next", "updated")
    for item in page["items"]:
        action = item["next_action"]
        table.add_row(
            item["id"],
            item["reference"],
            item["status"],
            item["kyc"]["status"],
            f"{action['actor']}: {action['code']}",
            item["updated_at"],
        )
    Console(width=160).print(table)
    if page["next_cursor"]:
        typer.echo(f"more: --cursor {page['next_cursor']}")


def cancel(
    onboarding_id: OnboardingId,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    as_json: AsJson = False,
) -> None:
    """Cancel an onboarding; what it created is deleted."""
    response = call("POST", f"/v1/onboardings/{onboarding_id}/cancel", api_url=api_url, api_key=api_key)
    if not as_json:
        typer.echo("cancellation requested")
    show(response.json(), as_json)


def kyc_restart(
    onboarding_id: OnboardingId,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    reason: Annotated[str | None, typer.Option(help="why a new session is needed")] = None,
    as_json: AsJson = False,
) -> None:
    """Start a new hosted KYC session for a rejected onboarding."""
    path = f"/v1/onboardings/{onboarding_id}/kyc/restart"
    response = call("POST", path, api_url=api_url, api_key=api_key, body={"reason": reason})
    show(response.json(), as_json)


def register(app: typer.Typer) -> None:
    """Add the onboarding commands to the ``onboard`` app."""
    app.command()(start)
    app.command()(status)
    app.command("list")(list_onboardings)
    app.command()(cancel)
    app.command("kyc-restart")(kyc_restart)
