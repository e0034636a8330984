"""One error shape for every non-2xx answer: ``{"error": {"type", "message", "fields": [...]}}``."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

logger = logging.getLogger(__name__)

_LOCATIONS = {"body", "query", "path", "header", "cookie"}
_HTTP_TYPES = {
    400: "bad_request",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}
_METHODS = ("DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")


class FieldError(BaseModel):
    """One offending field, as a dotted path into the request (``numbers.count``)."""

    field: str
    message: str


class ErrorDetail(BaseModel):
    """A stable ``type``, a human ``message`` (never a secret) and the fields to blame."""

    type: str
    message: str
    fields: list[FieldError] = Field(default_factory=list)


class ErrorResponse(BaseModel):
    """The body of every error answer."""

    error: ErrorDetail


class ApiError(Exception):
    """Raised by routes to answer with the error shape."""

    def __init__(
        self,
        status_code: int,
        type_: str,
        message: str,
        *,
        fields: Sequence[FieldError] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = ErrorDetail(type=type_, message=message, fields=list(fields))
        self.headers = dict(headers or {})


def error_response(
    status_code: int, detail: ErrorDetail, headers: Mapping[str, str] | None = None
) -> JSONResponse:
    """The JSON answer for ``detail``."""
    body = ErrorResponse(error=detail).model_dump(mode="json")
    return JSONResponse(body, status_code=status_code, headers=dict(headers or {}))


def field_errors(errors: Sequence[Mapping[str, Any]]) -> list[FieldError]:
    """Pydantic/FastAPI errors as field paths without the ``body``/``query`` prefix (inputs never echoed)."""
    fields: list[FieldError] = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] in _LOCATIONS:
            loc = loc[1:]
        if error.get("type") == "json_invalid":
            fields.append(FieldError(field="body", message="malformed JSON"))
            continue
        fields.append(FieldError(field=".".join(loc) or "body", message=str(error.get("msg", "invalid"))))
    return fields


def invalid_request(errors: Sequence[Mapping[str, Any]], message: str = "the request is invalid") -> ApiError:
    """A 422 naming the fields of a validation failure."""
    return ApiError(422, "invalid_request", message, fields=field_errors(errors))


async def _api_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return error_response(exc.status_code, exc.detail, exc.headers)


async def _validation_error(_request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError | ValidationError)
    error = invalid_request(exc.errors())
    return error_response(error.status_code, error.detail)


def allowed_methods(request: Request) -> str:
    """The ``Allow`` header of ``request``'s path: the methods of every route at it, not only the first's."""
    routes = request.app.router.routes
    return ", ".join(
        method
        for method in _METHODS
        if any(route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes)
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    if exc.status_code == 400 and exc.__cause__ is not None:
        # FastAPI's answer to a body it could not even decode (not UTF-8, nested too deep): malformed JSON
        error = invalid_request([{"type": "json_invalid"}])
        return error_response(error.status_code, error.detail)
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    message = exc.detail if isinstance(exc.detail, str) else "request failed"
    detail = ErrorDetail(type=_HTTP_TYPES.get(exc.status_code, "http_error"), message=message)
    return error_response(exc.status_code, detail, headers)


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc)
    return error_response(500, ErrorDetail(type="internal", message="internal error"))


def install_error_handlers(app: FastAPI) -> None:
    """Answer every failure (ours, validation, routing, crashes) in the error shape."""
    app.add_exception_handler(ApiError, _api_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)


#: ``responses=`` entries for the OpenAPI document.
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {
        "model": ErrorResponse,
        "description": "missing or invalid API key",
        "headers": {"WWW-Authenticate": {"description": "`Bearer`", "schema": {"type": "string"}}},
    },
    404: {"model": ErrorResponse, "description": "no such onboarding for this reseller"},
    409: {"model": ErrorResponse, "description": "conflicts with the onboarding's current state"},
    413: {"model": ErrorResponse, "description": "body too large"},
    422: {
        "model": ErrorResponse,
        "description": "invalid request, malformed JSON included; fields names the culprits",
    },
    429: {
        "model": ErrorResponse,
        "description": "a quota of the reseller is full (the message names it and its limit)",
        "headers": {
            "Retry-After": {
                "description": "seconds to wait before trying again",
                "schema": {"type": "integer", "minimum": 1},
            }
        },
    },
    503: {"model": ErrorResponse, "description": "Temporal unreachable; retry later"},
}


def error_responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The :data:`ERROR_RESPONSES` entries of ``codes``, for a route's or a router's ``responses=``."""
    return {code: ERROR_RESPONSES[code] for code in codes}
