"""Fault injection on provider routes: latency, 503s, 429s with ``Retry-After``, and dropped answers.

A dropped answer is the hard case: the route runs and commits, then the client gets a bare 502 instead
of the answer, so only an idempotent retry can recover it. Test controls and hosted pages are never hit.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter

from pydantic import BaseModel, Field
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from providers.wire import ErrorDetail
from sandbox.errors import error_response
from sandbox.paths import is_provider_path


class FaultSettings(BaseModel):
    """Body of ``PUT /_sandbox/faults``; ``routes`` are full path prefixes such as ``/api/v1/accounts``
    (empty: every provider route)."""

    error_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    rate_limit_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    retry_after_s: int = Field(default=1, ge=0)
    drop_response_rate: float = Field(default=0.0, ge=0.0, le=1.0)
    latency_ms: int = Field(default=0, ge=0)
    routes: list[str] = Field(default_factory=list)
    seed: int | None = Field(default=None, description="seeds the fault dice, for reproducible runs")


class FaultInjector:
    """The current fault settings, the dice and the count of faults injected since the last ``PUT``."""

    def __init__(self) -> None:
        self.settings = FaultSettings()
        self.injected: Counter[str] = Counter()
        self._dice = random.Random()

    def configure(self, settings: FaultSettings) -> None:
        """Replace the settings and reset the counts (and the dice, when a seed is given)."""
        self.settings = settings
        self.injected = Counter()
        self._dice = random.Random(settings.seed)

    def clear(self) -> None:
        """No faults any more (the counts are kept for a last look)."""
        self.settings = FaultSettings()

    def report(self) -> dict[str, object]:
        """The settings and ``injected`` counts by kind, as ``GET /_sandbox/faults`` answers."""
        counts = {kind: self.injected[kind] for kind in ("error", "rate_limit", "drop")}
        return {**self.settings.model_dump(), "injected": counts}

    def applies_to(self, path: str) -> bool:
        """Whether faults are set for ``path``."""
        return not self.settings.routes or any(path.startswith(prefix) for prefix in self.settings.routes)

    def roll(self, rate: float, kind: str) -> bool:
        """Throw the dice for ``kind`` at ``rate``; count it when it hits."""
        hit = rate > 0 and self._dice.random() < rate
        if hit:
            self.injected[kind] += 1
        return hit


class FaultMiddleware:
    """ASGI middleware applying the injector's faults to provider routes only."""

    def __init__(self, app: ASGIApp, *, injector: FaultInjector) -> None:
        self.app = app
        self.injector = injector

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not is_provider_path(path) or not self.injector.applies_to(path):
            await self.app(scope, receive, send)
            return
        faults = self.injector.settings
        if faults.latency_ms:
            await asyncio.sleep(faults.latency_ms / 1000)
        if self.injector.roll(faults.error_rate, "error"):
            detail = ErrorDetail(type="unavailable", message="injected fault: service unavailable")
            await error_response(503, detail)(scope, receive, send)
            return
        if self.injector.roll(faults.rate_limit_rate, "rate_limit"):
            detail = ErrorDetail(type="rate_limited", message="injected fault: too many requests")
            headers = {"Retry-After": str(faults.retry_after_s)}
            await error_response(429, detail, headers)(scope, receive, send)
            return
        if not self.injector.roll(faults.drop_response_rate, "drop"):
            await self.app(scope, receive, send)
            return

        async def swallow(_message: Message) -> None:
            return None

        await self.app(scope, receive, swallow)
        await PlainTextResponse("", status_code=502)(scope, receive, send)
