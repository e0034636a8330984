"""Every provider error answer as ``providers.wire.ErrorBody`` (ours); validation errors name their field."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from providers.wire import ErrorBody, ErrorDetail, ErrorType

#: model-level rules say which field they are about first: "email is required when ..."
_LEADING_FIELD = re.compile(r"^(?:Value error, )?([a-z_][a-z0-9_]*) is ")
_STATUS_TYPES: dict[int, ErrorType] = {404: "not_found", 409: "conflict", 429: "rate_limited"}

T = TypeVar("T")


class ApiError(Exception):
    """A provider error answer raised by a route."""

    def __init__(
        self,
        status_code: int,
        type_: ErrorType,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = ErrorDetail(type=type_, message=message, field=field)
        self.headers = dict(headers or {})


def not_found(what: str) -> ApiError:
    """404 for a missing ``what``."""
    return ApiError(404, "not_found", f"{what} not found")


def found(row: T | None, what: str) -> T:
    """``row``, or 404 for a missing ``what``."""
    if row is None:
        raise not_found(what)
    return row


def conflict(message: str, *, field: str | None = None) -> ApiError:
    """409 for a request that clashes with the current state."""
    return ApiError(409, "conflict", message, field=field)


def cool_off(until: datetime, now: datetime) -> ApiError:
    """409 ``did_cool_off_in_effect`` for a number whose cool-off runs until ``until``."""
    error = ApiError(409, "did_cool_off_in_effect", "the number had a call in the last 15 days")
    error.detail.cool_off_until = until
    error.detail.cool_off_remaining_seconds = math.ceil((until - now).total_seconds())
    return error


def error_response(
    status_code: int, detail: ErrorDetail, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON answer for ``detail`` (fields that do not apply left out)."""
    body = ErrorBody(error=detail).model_dump(mode="json", exclude_none=True)
    return JSONResponse(body, status_code=status_code, headers=dict(headers or {}))


def field_of(error: Mapping[str, Any]) -> str | None:
    """The wire name of the field a pydantic/FastAPI error is about, if any."""
    location: Sequence[str | int] = error.get("loc", ())
    names = [str(part) for part in location[1:] if not isinstance(part, int)]
    if names:
        return ".".join(names)
    match = _LEADING_FIELD.match(str(error.get("msg", "")))
    return match.group(1) if match else None


def _message_of(error: Mapping[str, Any]) -> str:
    return str(error.get("msg", "invalid request")).removeprefix("Value error, ")


async def _api_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.detail, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    first = exc.errors()[0]
    detail = ErrorDetail(type="invalid_request", message=_message_of(first), field=field_of(first))
    return error_response(422, detail)


async def _http_error(_request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    kind = _STATUS_TYPES.get(exc.status_code, "invalid_request")
    return error_response(exc.status_code, ErrorDetail(type=kind, message=str(exc.detail)), exc.headers)


def install_error_handlers(app: FastAPI) -> None:
    """Answer every error of ``app`` with an ``ErrorBody``."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(HTTPException, _http_error)
