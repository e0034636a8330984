"""The API's Temporal client: connected lazily (the API starts while Temporal is down) and every call
bounded in time, so an unreachable cluster becomes a prompt 503 instead of a hanging request."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta

from temporalio.client import Client, WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import FailureError
from temporalio.service import RPCError, RPCStatusCode

from api.errors import ApiError
from config import Settings
from worker.client import connect

logger = logging.getLogger(__name__)

CONNECT_TIMEOUT_S = 3.0
CALL_TIMEOUT_S = 5.0
UPDATE_TIMEOUT_S = 30.0
_TRANSIENT = {
    RPCStatusCode.UNAVAILABLE,
    RPCStatusCode.DEADLINE_EXCEEDED,
    RPCStatusCode.CANCELLED,
    RPCStatusCode.RESOURCE_EXHAUSTED,
    RPCStatusCode.ABORTED,
    RPCStatusCode.INTERNAL,
    RPCStatusCode.UNKNOWN,
}


def unavailable() -> ApiError:
    """The 503 answered while Temporal cannot be reached."""
    return ApiError(503, "unavailable", "the workflow service is unavailable, retry later")


class TemporalConnection:
    """One shared client, connected on first use and retried on each use until it connects."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: Client | None = None
        self._lock = asyncio.Lock()

    async def client(self) -> Client:
        """The connected client; raises the 503 :class:`ApiError` when Temporal cannot be reached."""
        if self._client is not None:
            return self._client
        async with self._lock:
            if self._client is None:
                try:
                    self._client = await asyncio.wait_for(connect(self._settings), CONNECT_TIMEOUT_S)
                except Exception as exc:  # connect raises RuntimeError, OSError or TimeoutError
                    logger.warning("Temporal at %s unreachable: %s", self._settings.temporal_address, exc)
                    raise unavailable() from exc
            return self._client

    async def healthy(self) -> bool:
        """Whether Temporal answers a health check now."""
        try:
            client = await self.client()
            return await client.service_client.check_health(timeout=timedelta(seconds=2))
        except (ApiError, RPCError):
            return False


@asynccontextmanager
async def bounded(timeout_s: float = CALL_TIMEOUT_S) -> AsyncIterator[None]:
    """Run Temporal calls within ``timeout_s``; transport failures and timeouts become a 503.

    Other RPC errors (not found, already completed, ...) pass through for the caller to judge.
    """
    try:
        async with asyncio.timeout(timeout_s):
            yield
    except TimeoutError as exc:
        raise unavailable() from exc
    except RPCError as exc:
        if exc.status in _TRANSIENT:
            raise unavailable() from exc
        raise


def is_gone(exc: RPCError) -> bool:
    """True when the workflow does not exist or has already closed."""
    return exc.status == RPCStatusCode.NOT_FOUND


@asynccontextmanager
async def updating(finished: Callable[[], ApiError], refused: str) -> AsyncIterator[None]:
    """Run a workflow update within :data:`UPDATE_TIMEOUT_S`: the workflow's refusal is a 409 with its
    reason (``refused`` when it gives none), a workflow that is gone ``finished()``, no answer a 503."""
    try:
        async with bounded(UPDATE_TIMEOUT_S):
            yield
    except WorkflowUpdateFailedError as exc:
        reason = exc.cause.message if isinstance(exc.cause, FailureError) else refused
        raise ApiError(409, "conflict", reason) from None
    except WorkflowUpdateRPCTimeoutOrCancelledError:
        raise unavailable() from None
    except RPCError as exc:
        if is_gone(exc):
            raise finished() from None
        raise
