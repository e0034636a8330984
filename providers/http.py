"""The HTTP plumbing shared by the provider clients: one pooled ``httpx.AsyncClient`` per process, and
the single place where a provider answer or a transport failure becomes a :mod:`providers.errors` error.

Credentials travel only in per-request headers; nothing here logs, formats or chains them: error
messages name the method and route path (never the query string or headers) and the provider's message,
or for a transport failure only the exception's class (its text may quote a header).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import BaseModel, SecretStr, ValidationError

from config import Settings, header_safe
from providers.errors import (
    Conflict,
    CoolOffInEffect,
    InvalidRequest,
    LimitReached,
    NotFound,
    ProviderError,
    RateLimited,
    Unavailable,
)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
EventHooks = Mapping[str, list[Callable[..., Any]]]

DEFAULT_RETRY_AFTER_S = 1.0
CREDENTIALS_REJECTED = "provider rejected our credentials"
FORBIDDEN = "provider refused this to our account"
#: the carrier's error code for a number still in its 15-day cool-off [skill-N]
COOL_OFF = "did_cool_off_in_effect"


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
    """``value`` made safe as one path segment; the ``+`` of an E.164 number is sent as ``%2B``. ``.`` and
    ``..`` (and empty) are refused: they would name another resource once the URL is normalised."""
    if value in ("", ".", ".."):
        raise ValueError("a path segment must not be empty, '.' or '..'")
    return quote(value, safe="")


async def found_on_second_read(find: Callable[[], Awaitable[T | None]]) -> T | None:
    """``find()``, read once more when it finds nothing. Paging through a list while others delete from it
    can step over an item that a deletion moved onto a page already read; two reads both miss it only if
    deletions hit both."""
    first = await find()
    return first if first is not None else await find()


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


@dataclass(frozen=True)
class _Explanation:
    """What a provider's error body says, whichever of the known shapes it has."""

    kind: str | None = None
    message: str | None = None
    field: str | None = None
    cool_off_until: datetime | None = None


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _from_detail(detail: object) -> tuple[str | None, str | None]:
    """Message and field of a ``detail``: a string, an object, or a list of validation errors."""
    if isinstance(detail, list) and detail and isinstance(detail[0], dict):
        first = detail[0]
        location = [part for part in first.get("loc", []) if isinstance(part, str) and part != "body"]
        return _text(first.get("msg")), location[-1] if location else None
    if isinstance(detail, dict):
        return _text(detail.get("message")) or _text(detail.get("msg")), _text(detail.get("field"))
    return _text(detail), None


def _cool_off_until(*sources: dict[str, Any]) -> datetime | None:
    for source in sources:
        until = _text(source.get("cool_off_until"))
        if until is not None:
            with contextlib.suppress(ValueError):
                moment = datetime.fromisoformat(until)
                return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
        remaining = source.get("cool_off_remaining_seconds")
        if isinstance(remaining, int | float) and not isinstance(remaining, bool):
            return datetime.now(UTC) + timedelta(seconds=remaining)
    return None


def _explain(response: httpx.Response) -> _Explanation:
    """Our carrier body ``{"error": {type, message, field}}`` (with the cool-off fields), AgentPhone's
    ``{"detail": ...}`` or ``{"message": ...}``, or ``{"error": "<code>", ...}``; anything else explains
    nothing."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return _Explanation()
    if not isinstance(body, dict):
        return _Explanation()
    error = body.get("error")
    inner: dict[str, Any] = error if isinstance(error, dict) else {}
    detail = body.get("detail")
    detail_message, detail_field = _from_detail(detail)
    kind = (
        _text(inner.get("type"))
        or _text(inner.get("code"))
        or _text(error)
        or _text(body.get("code"))
        or (_text(detail.get("type")) if isinstance(detail, dict) else None)
    )
    message = _text(inner.get("message")) or _text(body.get("message")) or detail_message or _text(error)
    field = _text(inner.get("field")) or detail_field
    return _Explanation(kind, message, field, _cool_off_until(inner, body))


#: secrets at least this long are hidden in error messages (real ones are far longer)
MIN_HIDDEN_SECRET = 8


def hidden_secret(secret: SecretStr, shown: str) -> dict[str, str]:
    """What a client's ``_hide`` maps ``secret`` to (``shown``); nothing for a secret too short to matter,
    which would garble every message and protect nothing."""
    value = secret.get_secret_value()
    return {value: shown} if len(value) >= MIN_HIDDEN_SECRET else {}


def _hidden(text: str, hide: Mapping[str, str]) -> str:
    for value, shown in hide.items():
        text = text.replace(value, shown)
    return text


def error_for_response(response: httpx.Response, *, hide: Mapping[str, str] | None = None) -> ProviderError:
    """The typed error for a non-2xx provider answer (the body may be anything, even not JSON).

    Each key of ``hide`` (e.g. the master account id) is replaced by its value in the message. A 401/403
    never echoes the body. Other 4xx are invalid requests; 408, 5xx, unexpected 1xx/3xx and a 409 for an
    idempotent request still running at the provider are unavailable (retry). A 409
    ``did_cool_off_in_effect`` says until when.
    """
    hide = hide or {}
    status = response.status_code
    said = _explain(response)
    explanation = said.message or response.reason_phrase or "no explanation"
    if status == 401:
        explanation = CREDENTIALS_REJECTED
    elif status == 403:
        explanation = FORBIDDEN
    where = f"{response.request.method} {response.request.url.path}"
    message = _hidden(f"{where} -> {status}: {explanation}", hide)
    field = said.field
    if status == 404:
        return NotFound(message, status_code=status, field=field)
    if status == 409 and said.kind == "request_in_progress":
        return Unavailable(message, status_code=status)  # the first request's outcome is not known yet
    if status == 409 and said.kind == COOL_OFF and said.cool_off_until is not None:
        return CoolOffInEffect(message, cool_off_until=said.cool_off_until, status_code=status)
    if status == 409:
        kind = LimitReached if said.kind == "limit_reached" else Conflict
        return kind(message, status_code=status, field=field)
    if status == 429:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
        return RateLimited(message, retry_after=retry_after, status_code=status)
    if status == 408 or status >= 500 or status < 400:
        return Unavailable(message, status_code=status)
    return InvalidRequest(message, status_code=status, field=field)


def error_for_transport(
    method: str, url: httpx.URL, exc: httpx.RequestError, *, hide: Mapping[str, str] | None = None
) -> Unavailable:
    """The error for a request whose outcome is unknown: timeout, refused or cut connection. Only the
    exception's class is named: its text may quote the request (a header, a credential)."""
    return Unavailable(_hidden(f"{method} {url.path} -> {type(exc).__name__}", hide or {}))


#: Quick in-client retries of repeatable requests before the failure is reported to the caller.
QUICK_RETRIES = 2
_QUICK_BACKOFF_S = 0.2
_MAX_QUICK_WAIT_S = 2.0
#: never a POST, even with an ``Idempotency-Key``: no provider publishes one, so a repeat could create twice
_REPEATABLE = frozenset({"GET", "PUT", "PATCH", "DELETE"})


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

    def _hide(self) -> Mapping[str, str]:
        """Values error messages must not show (each replaced by its placeholder); none by default."""
        return {}

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

        Requests that are safe to repeat (GET, PUT, PATCH, DELETE) get up to :data:`QUICK_RETRIES` quick
        retries on a transient failure; a POST never does, key or not (the caller looks the resource up
        before trying again). Longer waits are left to the caller (Temporal's activity retries). A header
        value that is not printable ASCII is refused before anything is sent, naming only the header.
        """
        request_headers = {**self._auth_headers(), **(headers or {})}
        if idempotency_key is not None:
            if not idempotency_key:
                raise ValueError("idempotency_key must not be empty")
            request_headers["Idempotency-Key"] = idempotency_key
        url = httpx.URL(self.base_url + path)
        unsafe = sorted(name for name, value in request_headers.items() if not header_safe(value))
        if unsafe:  # a credential with a line break: h11 would refuse it quoting the value
            where = _hidden(f"{method} {url.path}", self._hide())
            raise InvalidRequest(f"{where} -> not sent: header {', '.join(unsafe)} is not printable ASCII")
        payload = None if body is None else body.model_dump(mode="json", by_alias=True, exclude_none=True)
        retries = QUICK_RETRIES if method in _REPEATABLE else 0
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
            # raised outside the handler, so no traceback or failure chains the exception's own text
            error: ProviderError = error_for_transport(method, url, exc, hide=self._hide())
        else:
            if response.is_success:
                return response
            error = error_for_response(response, hide=self._hide())
        raise error

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
            where = _hidden(f"{method} {response.request.url.path}", self._hide())
            raise ProviderError(
                f"{where} -> {response.status_code}: answer is not a valid {model.__name__}",
                status_code=response.status_code,
            ) from None
