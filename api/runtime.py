"""What the routes share for the app's lifetime: settings, database engine, Temporal, the carrier client
and the per-reseller start locks."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import ParamSpec, TypeVar

from fastapi import Request
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api.temporal import TemporalConnection
from config import Settings
from providers.carrier import CarrierClient
from providers.http import make_http_client
from starts.onboardings import OnboardingStarts

P = ParamSpec("P")
T = TypeVar("T")


@dataclass(frozen=True)
class Runtime:
    """Built by the app's lifespan, read by the routes through :func:`runtime`."""

    settings: Settings
    engine: Engine
    temporal: TemporalConnection
    #: confirms KYC verdicts before they are signalled
    carrier: CarrierClient
    #: one per reseller: its starts queue here for the quota check, not in database connections
    start_locks: defaultdict[str, asyncio.Lock] = field(default_factory=lambda: defaultdict(asyncio.Lock))

    async def read_row(self, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``read``, a lookup of one row by key: inline on SQLite, whose reads in WAL mode never
        wait for a writer and take a fraction of a thread hop (0.5 ms of CPU, a third of a status GET's
        under 20 readers); in the threadpool on PostgreSQL, where a read is a network round trip."""
        if self.engine.dialect.name == "sqlite":
            return read(*args, **kwargs)
        return await run_in_threadpool(read, *args, **kwargs)

    @property
    def starts(self) -> OnboardingStarts:
        """How the routes claim and start onboardings (the same way a batch's rows are)."""
        return OnboardingStarts(self.settings, self.engine)


@asynccontextmanager
async def carrier_client(settings: Settings) -> AsyncIterator[CarrierClient]:
    """The master account's carrier client on a pooled HTTP client, closed when the block ends."""
    http = make_http_client(settings)
    try:
        yield CarrierClient.from_settings(http, settings)
    finally:
        await http.aclose()


async def runtime(request: Request) -> Runtime:
    """FastAPI dependency: the running app's :class:`Runtime`."""
    current = request.app.state.runtime
    assert isinstance(current, Runtime)
    return current
