"""The HTTP plumbing shared by the provider clients: one pooled ``httpx.AsyncClient`` per process, and
the single place where a provider answer or a transport failure becomes a :mod:`providers.errors` error.

Credentials travel only in per-request headers; nothing here logs, formats or chains them: error
messages name the method and route path (never the query string or headers) and the provider's message.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, ValidationError

from config import Settings
from providers.errors import (
    Conflict,
    InvalidRequest,
    LimitReached,
    NotFound,
    ProviderError,
    RateLimited,
    Unavailable,
)
from providers.wire import ErrorBody, ErrorDetail

M = TypeVar("M", bound=BaseModel)
EventHooks = Mapping[str, list[Callable[..., Any]]]

DEFAULT_RETRY_AFTER_S = 1.0
CREDENTIALS_REJECTED = "provider rejected our credentials"


def make_http_client(settings: Settings, event_hooks: EventHooks | None = None) -> httpx.AsyncClient:
    """The process's pooled HTTP client for every provider call, with explicit timeouts and limits;
    ``event_hooks`` observe requests (metrics), they never see credentials logged."""
    return httpx.AsyncClient(
        event_hooks=dict(event_hooks or {}),
        timeout=httpx.Timeout(settings.provider_timeout_s, connect=settings.provider_connect_timeout_s),
        limits=httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30.0),
        headers={"User-Agent": "subaccount-onboarding"},
        follow_redirects=False,
    )


def segment(value: str) -> str:
    """``value`` made safe as one path segment (``+`` of E.164 numbers kept readable)."""
    return quote(value, safe="+")


def retry_after_seconds(value: str | None) -> float:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); 1 when absent or bad."""
    if not value:
        return DEFAULT_RETRY_AFTER_S
    try:
        seconds = float(value)
    except ValueError:
        try:
            seconds = (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds()
        except (TypeError, ValueError):
            return DEFAULT_RETRY_AFTER_S
    return max(0.0, seconds) if math.isfinite(seconds) else DEFAULT_RETRY_AFTER_S


def _error_detail(response: httpx.Response) -> ErrorDetail | None:
    try:
        return ErrorBody.model_validate_json(response.content).error
    except ValidationError:
        return None


def error_for_response(response: httpx.Response) -> ProviderError:
    """The typed error for a non-2xx provider answer (the body may be anything, even not JSON).

    Other 4xx are invalid requests; 408, 5xx, unexpected 1xx/3xx and a 409 for an idempotent request still
    running at the provider are unavailable (retry).
    """
    status = response.status_code
    detail = _error_detail(response)
    explanation = detail.message if detail else (response.reason_phrase or "no explanation")
    field = detail.field if detail else None
    where = f"{response.request.method} {response.request.url.path}"
    if status in (401, 403):
        explanation = CREDENTIALS_REJECTED
    message = f"{where} -> {status}: {explanation}"
    if status == 404:
        return NotFound(message, status_code=status, field=field)
    if status == 409 and detail is not None and detail.type == "request_in_progress":
        return Unavailable(message, status_code=status)  # the first request's outcome is not known yet
    if status == 409:
        kind = LimitReached if detail is not None and detail.type == "limit_reached" else Conflict
        return kind(message, status_code=status, field=field)
    if status == 429:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        return RateLimited(message, retry_after=retry_after, status_code=status)
    if status == 408 or status >= 500 or status < 400:
        return Unavailable(message, status_code=status)
    return InvalidRequest(message, status_code=status, field=field)


def error_for_transport(method: str, url: httpx.URL, exc: httpx.RequestError) -> Unavailable:
    """The error for a request whose outcome is unknown: timeout, refused or cut connection."""
    reason = str(exc) or type(exc).__name__
    return Unavailable(f"{method} {url.path} -> {type(exc).__name__}: {reason}")


#: Quick in-client retries of repeatable requests before the failure is reported to the caller.
QUICK_RETRIES = 2
_QUICK_BACKOFF_S = 0.2
_MAX_QUICK_WAIT_S = 2.0
_REPEATABLE = frozenset({"GET", "PUT", "DELETE"})


def _quick_retry_delay(error: ProviderError, attempt: int) -> float | None:
    """How long to wait before quick retry ``attempt + 1``; None when the wait is too long to do here."""
    backoff = _QUICK_BACKOFF_S * (1 << attempt)
    if isinstance(error, RateLimited):
        return error.retry_after if error.retry_after <= _MAX_QUICK_WAIT_S else None
    return backoff


class ProviderApi:
    """Base of the provider clients: a base URL, per-request auth headers, and the shared pooled client.

    Sends wire models as JSON (aliases, no ``None``), parses answers into wire models and raises
    :mod:`providers.errors` for anything but a 2xx.
    """

    def __init__(self, http: httpx.AsyncClient, *, base_url: str) -> None:
        self._http = http
        self.base_url = base_url.rstrip("/")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r})"

    def _auth_headers(self) -> dict[str, str]:
        """Credentials for one request; built fresh each time, never stored in the HTTP client."""
        raise NotImplementedError

    async def _send(
        self,
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        params: Mapping[str, str | int] | None = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """Send one request; return the 2xx response or raise the mapped provider error.

        Requests that are safe to repeat (reads, updates, deletes, and creations carrying an
        ``Idempotency-Key``) get up to :data:`QUICK_RETRIES` quick retries on a transient failure;
        longer waits are left to the caller (Temporal's activity retries).
        """
        request_headers = {**self._auth_headers(), **(headers or {})}
        if idempotency_key is not None:
            if not idempotency_key:
                raise ValueError("idempotency_key must not be empty")
            request_headers["Idempotency-Key"] = idempotency_key
        url = httpx.URL(self.base_url + path)
        payload = None if body is None else body.model_dump(mode="json", by_alias=True, exclude_none=True)
        retries = QUICK_RETRIES if idempotency_key is not None or method in _REPEATABLE else 0
        for attempt in range(retries + 1):
            try:
                return await self._send_once(method, url, params, payload, request_headers)
            except (Unavailable, RateLimited) as error:
                delay = _quick_retry_delay(error, attempt)
                if attempt == retries or delay is None:
                    raise
                await asyncio.sleep(delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _send_once(
        self,
        method: str,
        url: httpx.URL,
        params: Mapping[str, str | int] | None,
        payload: object,
        headers: dict[str, str],
    ) -> httpx.Response:
        try:
            response = await self._http.request(method, url, params=params, json=payload, headers=headers)
        except httpx.RequestError as exc:
            raise error_for_transport(method, url, exc) from exc
        if not response.is_success:
            raise error_for_response(response)
        return response

    async def _call(
        self,
        model: type[M],
        method: str,
        path: str,
        *,
        body: BaseModel | None = None,
        params: Mapping[str, str | int] | None = None,
        idempotency_key: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> M:
        """:meth:`_send`, then parse the answer into ``model``."""
        response = await self._send(
            method, path, body=body, params=params, idempotency_key=idempotency_key, headers=headers
        )
        try:
            return model.model_validate_json(response.content)
        except ValidationError:
            # the validation error quotes the body, which may hold credentials: do not chain it
            raise ProviderError(
                f"{method} {response.request.url.path} -> {response.status_code}: "
                f"answer is not a valid {model.__name__}",
                status_code=response.status_code,
            ) from None
