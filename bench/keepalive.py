"""A lean HTTP/1.1 GET client over one keep-alive connection, for the benchmarks' concurrent readers.

On two cores the readers share the machine with the stack they measure: httpx spends about twice the API's
own CPU on each GET, so its readers measured mostly themselves. This client writes the request line and
reads the answer by ``content-length``, nothing more: what the API answers (uvicorn, JSON) needs no more.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import urlencode, urlsplit


class KeepAliveClient:
    """GETs to one origin, one at a time, over a connection opened on first use and again whenever the
    server has closed it."""

    def __init__(self, base_url: str, headers: dict[str, str]) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "127.0.0.1"
        self._port = parts.port or 80
        lines = [f"Host: {parts.netloc}", *(f"{name}: {value}" for name, value in headers.items())]
        self._head = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self._streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None

    async def get_json(self, path: str, params: dict[str, str] | None = None) -> Any:
        """The JSON body of ``GET path?params``; an answer other than 200 raises ``RuntimeError``."""
        target = f"{path}?{urlencode(params)}" if params else path
        for retry in (False, True):
            try:
                return await self._exchange(target)
            except (ConnectionError, asyncio.IncompleteReadError):
                self.close()  # the server closed an idle connection as the request went out
                if retry:
                    raise
        raise AssertionError("unreachable")

    async def _exchange(self, target: str) -> Any:
        if self._streams is None:
            self._streams = await asyncio.open_connection(self._host, self._port)
        reader, writer = self._streams
        writer.write(f"GET {target} HTTP/1.1\r\n".encode() + self._head)
        await writer.drain()
        status_line = await reader.readline()
        if not status_line:
            raise ConnectionResetError("the server closed the connection")
        status = int(status_line.split()[1])
        length = 0
        while (line := await reader.readline()) not in (b"\r\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            if name.lower() == "content-length":
                length = int(value)
        body = await reader.readexactly(length)
        if status != 200:
            raise RuntimeError(f"GET {target}: {status} {body[:200]!r}")
        return json.loads(body)

    def close(self) -> None:
        """Drop the connection (the next GET opens another)."""
        if self._streams is not None:
            self._streams[1].close()
            self._streams = None
