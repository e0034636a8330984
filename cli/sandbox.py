"""``onboard sandbox approve|reject|expire ID``: play the end customer against the provider sandbox.

Looks the onboarding's current hosted KYC session up through the API, then uses the sandbox's test
controls, exactly as if the customer had used the hosted page (the sandbox then sends the signed
webhooks).
"""

from __future__ import annotations

from typing import Annotated

import httpx
import typer

from cli.onboardings import DEFAULT_API_URL, ApiKey, ApiUrl, OnboardingId, call

sandbox_app = typer.Typer(
    help="Test controls of the provider sandbox (development only).", no_args_is_help=True
)

SandboxUrl = Annotated[
    str,
    typer.Option(
        "--sandbox-url", envvar="ONBOARD_SANDBOX_PUBLIC_URL", help="base URL of the provider sandbox"
    ),
]
DEFAULT_SANDBOX_URL = "http://127.0.0.1:8900"


def _control(
    onboarding_id: str,
    action: str,
    body: dict[str, str] | None,
    api_url: str,
    api_key: str | None,
    sandbox_url: str,
) -> None:
    document = call("GET", f"/v1/onboardings/{onboarding_id}", api_url=api_url, api_key=api_key).json()
    session_id = (document.get("kyc") or {}).get("session_id")
    if document["status"] != "awaiting_kyc" or not session_id:
        typer.echo(f"error: {onboarding_id} is {document['status']}, not awaiting_kyc", err=True)
        raise typer.Exit(1)
    try:
        response = httpx.post(
            f"{sandbox_url}/_sandbox/kyc-sessions/{session_id}/{action}", json=body, timeout=30
        )
    except httpx.HTTPError as exc:
        typer.echo(f"error: the sandbox at {sandbox_url} is unreachable ({type(exc).__name__})", err=True)
        raise typer.Exit(2) from None
    if not response.is_success:
        typer.echo(f"error: the sandbox answered {response.status_code}: {response.text[:200]}", err=True)
        raise typer.Exit(1)
    typer.echo(f"KYC session {session_id}: {action if body is None else body['outcome']}")


@sandbox_app.command()
def approve(
    onboarding_id: OnboardingId,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    sandbox_url: SandboxUrl = DEFAULT_SANDBOX_URL,
) -> None:
    """Approve the onboarding's hosted KYC session."""
    _control(onboarding_id, "complete", {"outcome": "approved"}, api_url, api_key, sandbox_url)


@sandbox_app.command()
def reject(
    onboarding_id: OnboardingId,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    sandbox_url: SandboxUrl = DEFAULT_SANDBOX_URL,
) -> None:
    """Reject the onboarding's hosted KYC session."""
    _control(onboarding_id, "complete", {"outcome": "rejected"}, api_url, api_key, sandbox_url)


@sandbox_app.command()
def expire(
    onboarding_id: OnboardingId,
    api_url: ApiUrl = DEFAULT_API_URL,
    api_key: ApiKey = None,
    sandbox_url: SandboxUrl = DEFAULT_SANDBOX_URL,
) -> None:
    """Let the onboarding's hosted KYC session expire now."""
    _control(onboarding_id, "expire", None, api_url, api_key, sandbox_url)
