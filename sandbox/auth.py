"""Provider credentials: the carrier's ``X-Auth-ID``/``X-Auth-Token``, the agent platform's Bearer key.

A refusal never hints at the expected value.
"""

from __future__ import annotations

import hmac

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from config import Settings
from providers.wire import ErrorDetail
from sandbox.errors import error_response
from sandbox.paths import AGENTS_PREFIX, CARRIER_PREFIX


def _same(given: str | None, expected: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), expected.encode())


def agent_master(settings: Settings, headers: Headers) -> str | None:
    """The agent-platform master account (its name in ``agent_accounts()``) whose key the request bears,
    or None. Every configured account is a master account of its own at the sandbox."""
    given = headers.get("authorization")
    for name, key in settings.agent_accounts().items():
        if _same(given, f"Bearer {key.get_secret_value()}"):
            return name
    return None


def authenticated(settings: Settings, path: str, headers: Headers) -> bool:
    """Whether the request to ``path`` carries the master account's credentials for its provider."""
    if path.startswith(CARRIER_PREFIX + "/"):
        token = settings.carrier_auth_token.get_secret_value()
        return _same(headers.get("x-auth-id"), settings.carrier_auth_id) and _same(
            headers.get("x-auth-token"), token
        )
    if path.startswith(AGENTS_PREFIX + "/"):
        return agent_master(settings, headers) is not None
    return True


class AuthMiddleware:
    """ASGI middleware answering 401 to provider calls without the right credentials."""

    def __init__(self, app: ASGIApp, *, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not authenticated(self.settings, scope["path"], Headers(scope=scope)):
            detail = ErrorDetail(type="invalid_request", message="authentication failed")
            await error_response(401, detail)(scope, receive, send)
            return
        await self.app(scope, receive, send)
