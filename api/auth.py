"""Bearer API keys: the configured development key (reseller ``default``) or a stored reseller key."""

from __future__ import annotations

import hmac

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError
from api.runtime import Runtime, runtime
from store import api_keys

DEFAULT_RESELLER = "default"

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ResellerKey",
    description="a reseller's API key (`onboard keys create`); the operator key acts as reseller `default`",
)


def unauthorized() -> ApiError:
    """The one 401: it never says whether the header, the scheme or the key was wrong."""
    return ApiError(401, "unauthorized", "missing or invalid API key", headers={"WWW-Authenticate": "Bearer"})


async def reseller(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    rt: Runtime = Depends(runtime),
) -> str:
    """FastAPI dependency: the reseller owning the presented key, else 401."""
    if credentials is None or not credentials.credentials:
        raise unauthorized()
    presented = credentials.credentials
    configured = rt.settings.api_key
    if configured is not None and hmac.compare_digest(
        presented.encode(), configured.get_secret_value().encode()
    ):
        return DEFAULT_RESELLER
    owner = await run_in_threadpool(api_keys.authenticate, rt.engine, presented)
    if owner is None:
        raise unauthorized()
    return owner
