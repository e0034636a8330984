"""A webhook receiver on a loopback port: the provider's KYC webhooks in the sandbox suites, a reseller's
backend taking status callbacks elsewhere. It answers ``statuses`` in turn (then 204) and keeps every
request."""

from __future__ import annotations

import json
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from tests.support.processes import serving_in_thread

#: A token a reseller put in its callback URL: a secret that must never reach logs or history.
CALLBACK_TOKEN = "cb-token-5d1e0c7a"


@dataclass
class Received:
    """One POST as it arrived, and the status code it was answered with."""

    headers: dict[str, str]
    body: str
    answered: int = 204

    @property
    def event(self) -> dict[str, Any]:
        """The parsed JSON body."""
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


@dataclass
class WebhookReceiver:
    """What the receiver at ``url`` was sent; set ``statuses`` to make it refuse the next requests, clear
    ``open`` to hold every request unanswered until it is set again."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    open: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.open.set()

    def answer(self, headers: dict[str, str], body: str) -> int:
        """Record a request and pick its status code (once ``open``)."""
        self.open.wait(timeout=120)
        with self._lock:
            status = self.statuses.pop(0) if self.statuses else 204
            self.received.append(Received(headers=headers, body=body, answered=status))
            return status

    def accepted(self) -> list[Received]:
        """The requests answered 2xx, in arrival order."""
        return [r for r in self.received if r.answered < 300]


@contextmanager
def run_receiver(
    path: str = f"/hooks/onboarding?token={CALLBACK_TOKEN}", *, tls: ssl.SSLContext | None = None
) -> Iterator[WebhookReceiver]:
    """Serve on a free loopback port until the block ends; ``path`` completes its URL. With ``tls`` (a
    server context) it serves https."""
    state = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0"))).decode()
            status = state.answer({key.lower(): value for key, value in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    scheme = "http" if tls is None else "https"
    state.url = f"{scheme}://127.0.0.1:{server.server_address[1]}{path}"
    with serving_in_thread(server):
        try:
            yield state
        finally:
            state.open.set()
