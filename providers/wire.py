"""The error body both wire formats use (ours: the providers do not publish one)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

ErrorType = Literal[
    "invalid_request",
    "not_found",
    "conflict",
    "limit_reached",
    "request_in_progress",
    "rate_limited",
    "unavailable",
]


class ErrorDetail(BaseModel):
    """What went wrong, and with which field when a field is to blame."""

    type: ErrorType
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """``{"error": {...}}``, the body of every non-2xx provider answer."""

    error: ErrorDetail
