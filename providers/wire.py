"""The carrier error body the sandbox answers with (ours: Vobiz publishes no error envelope, only the
cool-off fields of its ``409 did_cool_off_in_effect``)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

ErrorType = Literal[
    "invalid_request",
    "forbidden",
    "not_found",
    "conflict",
    "did_cool_off_in_effect",
    "limit_reached",
    "request_in_progress",
    "rate_limited",
    "unavailable",
]


class ErrorDetail(BaseModel):
    """What went wrong, with which field when a field is to blame, and until when a cool-off runs."""

    type: ErrorType
    message: str
    field: str | None = None
    cool_off_until: datetime | None = None
    cool_off_remaining_seconds: int | None = None


class ErrorBody(BaseModel):
    """``{"error": {...}}``, the body of every non-2xx answer of the sandbox's carrier routes."""

    error: ErrorDetail
