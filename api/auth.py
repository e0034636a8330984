"""Bearer API keys: the operator key (``ONBOARD_API_KEY``: reseller ``default``, the codec endpoint and, in
production, the operations routes) or a stored reseller key. Keys are compared in constant time."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from api.errors import ApiError
from api.runtime import Runtime, runtime
from config import Settings
from store import api_keys

DEFAULT_RESELLER = "default"

_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="ResellerKey",
    description="a reseller's API key (`onboard keys create`); the operator key acts as reseller `default`",
)
_operator_bearer = HTTPBearer(
    auto_error=False, scheme_name="OperatorKey", description="the operator key (`ONBOARD_API_KEY`)"
)


def unauthorized() -> ApiError:
    """The one 401: it never says whether the header, the scheme or the key was wrong."""
    return ApiError(401, "unauthorized", "missing or invalid API key", headers={"WWW-Authenticate": "Bearer"})


def same_secret(presented: str, expected: str) -> bool:
    """Whether a presented credential is the expected one, compared in constant time."""
    return hmac.compare_digest(presented.encode(), expected.encode())


def is_operator_key(settings: Settings, presented: str) -> bool:
    """Whether ``presented`` is the configured operator key; never while none is configured."""
    configured = settings.api_key
    return configured is not None and same_secret(presented, configured.get_secret_value())


def _presented(credentials: HTTPAuthorizationCredentials | None) -> str:
    return "" if credentials is None else credentials.credentials


async def operator(
    credentials: HTTPAuthorizationCredentials | None = Depends(_operator_bearer),
    rt: Runtime = Depends(runtime),
) -> None:
    """FastAPI dependency: 401 unless the operator key is presented."""
    if not is_operator_key(rt.settings, _presented(credentials)):
        raise unauthorized()


async def operator_in_production(
    credentials: HTTPAuthorizationCredentials | None = Depends(_operator_bearer),
    rt: Runtime = Depends(runtime),
) -> None:
    """FastAPI dependency of the operations routes (metrics, API docs): the operator key in production;
    open in development, where the local stack and the tests read them."""
    production = rt.settings.environment == "production"
    if production and not is_operator_key(rt.settings, _presented(credentials)):
        raise unauthorized()


@dataclass(frozen=True)
class Caller:
    """Who calls: the reseller, and the key it used as audit entries name it (``key:<prefix>``, or
    ``operator`` for the operator key); never the key itself."""

    reseller: str
    actor: str


async def caller(
    credentials: HTTPAuthorizationCredentials | None = Depends(_bearer),
    rt: Runtime = Depends(runtime),
) -> Caller:
    """FastAPI dependency: the reseller owning the presented key and the key's name, else 401."""
    presented = _presented(credentials)
    if not presented:
        raise unauthorized()
    if is_operator_key(rt.settings, presented):
        return Caller(DEFAULT_RESELLER, "operator")
    owner = await rt.read_row(api_keys.authenticate, rt.engine, presented)
    if owner is None:
        raise unauthorized()
    return Caller(owner, f"key:{api_keys.prefix_of(presented)}")


async def reseller(who: Caller = Depends(caller)) -> str:
    """FastAPI dependency: the reseller owning the presented key, else 401."""
    return who.reseller
