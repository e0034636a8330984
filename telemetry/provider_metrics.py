"""Provider call metrics recorded through Temporal's metric meter, so the worker exports them on the same
Prometheus endpoint as the SDK's own series: ``provider_requests_total{route,status}`` and
``provider_request_seconds{route}``."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

import httpx
from temporalio.common import MetricMeter

#: Path segments that are identifiers (sub-account ids, E.164 numbers, session ids) become ``{id}``.
_IDENTIFIER = re.compile(r"^\+|.*\d.*\d.*\d|^[A-Za-z]+_[A-Za-z0-9]+$")
_STARTED = "onboarding.started_at"


def route_of(path: str) -> str:
    """A low-cardinality route label: identifiers in the path replaced by ``{id}``."""
    return "/".join("{id}" if _IDENTIFIER.match(part) else part for part in path.split("/"))


class ProviderMetrics:
    """httpx event hooks counting and timing every provider request."""

    def __init__(self, meter: MetricMeter) -> None:
        self._requests = meter.create_counter(
            "provider_requests", "provider HTTP requests by route and status"
        )
        self._latency = meter.create_histogram_float(
            "provider_request_seconds", "provider HTTP latency by route", "s"
        )

    async def on_request(self, request: httpx.Request) -> None:
        """Stamp the start time."""
        request.extensions[_STARTED] = time.perf_counter()

    async def on_response(self, response: httpx.Response) -> None:
        """Count and time the answer."""
        started = response.request.extensions.get(_STARTED)
        route = f"{response.request.method} {route_of(response.request.url.path)}"
        self._requests.add(1, {"route": route, "status": str(response.status_code)})
        if isinstance(started, float):
            self._latency.record(time.perf_counter() - started, {"route": route})

    def hooks(self) -> dict[str, list[Callable[..., Any]]]:
        """The ``event_hooks`` argument for ``httpx.AsyncClient``."""
        return {"request": [self.on_request], "response": [self.on_response]}
