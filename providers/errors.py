"""The small error hierarchy every provider call raises, so callers can decide: give up, or retry.

Messages carry the provider's explanation and the route, never credentials.
"""

from __future__ import annotations

from datetime import datetime


class ProviderError(Exception):
    """Base of every provider failure."""

    def __init__(self, message: str, *, status_code: int | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.status_code = status_code
        self.field = field


class InvalidRequest(ProviderError):
    """A 4xx the provider will never accept as sent: do not retry."""


class NotFound(InvalidRequest):
    """The resource does not exist (404)."""


class Conflict(InvalidRequest):
    """The request clashes with existing state, e.g. an idempotency key reused with another body (409)."""


class CoolOffInEffect(Conflict):
    """409 ``did_cool_off_in_effect``: the number had a call in the last 15 days and cannot be unassigned
    or released before ``cool_off_until``."""

    def __init__(self, message: str, *, cool_off_until: datetime, status_code: int | None = 409) -> None:
        super().__init__(message, status_code=status_code)
        self.cool_off_until = cool_off_until


class LimitReached(Conflict):
    """An account limit is reached, e.g. 25 sub-accounts on the agent platform."""


class RateLimited(ProviderError):
    """429: retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float, status_code: int | None = 429) -> None:
        super().__init__(message, status_code=status_code)
        self.retry_after = retry_after


class Unavailable(ProviderError):
    """5xx, timeout or connection failure: the outcome is unknown, retry (idempotently)."""
