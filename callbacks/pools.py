"""One HTTP connection pool per callback host, so a connection is only ever reused for the host whose
name TLS checked, and one host's slow endpoint queues on its own connections only."""

from __future__ import annotations

import ssl
from collections import OrderedDict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import certifi
import httpx

#: Connections open at once to one host; more deliveries to it wait (within their deadline).
CONNECTIONS_PER_HOST = 8
#: Pools kept for hosts not delivered to right now; the least recently used idle one is closed first.
IDLE_HOSTS_KEPT = 256


@dataclass
class _Pool:
    http: httpx.AsyncClient
    users: int = 0


class HostPools:
    """Pooled clients keyed by host name; no redirects, no proxy or netrc from the environment."""

    def __init__(self, timeout: httpx.Timeout, tls: ssl.SSLContext | None = None) -> None:
        self._timeout = timeout
        # one trust store (httpx's own, certifi) loaded once and shared by every pool
        self._tls = tls or ssl.create_default_context(cafile=certifi.where())
        self._pools: OrderedDict[str, _Pool] = OrderedDict()

    @asynccontextmanager
    async def client(self, host: str) -> AsyncIterator[httpx.AsyncClient]:
        """The pooled client of ``host``, held for the block."""
        pool = self._pools.pop(host, None) or _Pool(self._new_client())
        self._pools[host] = pool
        pool.users += 1
        try:
            yield pool.http
        finally:
            pool.users -= 1
            await self._trim()

    def _new_client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            timeout=self._timeout,
            verify=self._tls,
            trust_env=False,
            limits=httpx.Limits(max_connections=CONNECTIONS_PER_HOST, max_keepalive_connections=2),
        )

    async def _trim(self) -> None:
        while len(self._pools) > IDLE_HOSTS_KEPT:
            idle = next((host for host, pool in self._pools.items() if pool.users == 0), None)
            if idle is None:
                return
            await self._pools.pop(idle).http.aclose()

    async def aclose(self) -> None:
        """Close every pool."""
        while self._pools:
            await self._pools.popitem()[1].http.aclose()
