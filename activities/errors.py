"""Turn provider errors into Temporal's retry decisions, with stable ``type`` names.

Invalid request, not found, conflict and limit reached will never succeed as sent: non-retryable.
Rate limited retries after the provider's ``Retry-After``; unavailable (5xx, timeouts) retries.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from temporalio.exceptions import ApplicationError

from providers.errors import (
    Conflict,
    InvalidRequest,
    LimitReached,
    NotFound,
    ProviderError,
    RateLimited,
)

#: The agent-platform account answered its sub-account limit: the workflow takes a slot in another.
ACCOUNT_FULL = "agent_account_full"
#: Error types the workflow may see as final; also listed as non-retryable in retry policies.
NON_RETRYABLE_TYPES = ["invalid_request", "not_found", "conflict", "limit_reached"]
_FINAL: tuple[tuple[type[ProviderError], str], ...] = (
    (LimitReached, "limit_reached"),
    (Conflict, "conflict"),
    (NotFound, "not_found"),
    (InvalidRequest, "invalid_request"),
)


def classify(error: ProviderError) -> ApplicationError:
    """The ``ApplicationError`` an activity raises for ``error`` (its message is secret-free)."""
    if isinstance(error, RateLimited):
        return ApplicationError(
            error.message, type="rate_limited", next_retry_delay=timedelta(seconds=error.retry_after)
        )
    for kind, name in _FINAL:
        if isinstance(error, kind):
            return ApplicationError(error.message, type=name, non_retryable=True)
    return ApplicationError(error.message, type="provider_unavailable")


@contextmanager
def provider_call() -> Iterator[None]:
    """Run provider calls, re-raising their errors as classified ``ApplicationError``s."""
    try:
        yield
    except ProviderError as error:
        raise classify(error) from None
