"""A reseller endpoint that hurts whoever calls it: ``/huge`` answers 200 with a 100 MB body, ``/drip``
sends its answer one byte at a time, never finishing. It counts the requests it took."""

from __future__ import annotations

import socket
import socketserver
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from tests.support.processes import serving_in_thread

HUGE_BYTES = 100 * 1024 * 1024
#: The start of an answer whose header line then never ends.
_DRIP_START = b"HTTP/1.1 200 OK\r\nx-drip: "


@dataclass
class HostileEndpoint:
    """Where it listens and how many requests each path took."""

    base_url: str = ""
    requests: dict[str, int] = field(default_factory=dict)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def took(self, path: str) -> None:
        with self._changed:
            self.requests[path] = self.requests.get(path, 0) + 1
            self._changed.notify_all()

    def wait_for(self, path: str, count: int, timeout_s: float = 60.0) -> None:
        """Block until ``path`` took ``count`` requests."""
        with self._changed:
            if not self._changed.wait_for(lambda: self.requests.get(path, 0) >= count, timeout_s):
                raise TimeoutError(f"{path} took {self.requests.get(path, 0)} of {count} requests")


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


@contextmanager
def run_hostile_endpoint(drip_interval_s: float = 0.2) -> Iterator[HostileEndpoint]:
    """Serve on a free loopback port until the block ends."""
    state = HostileEndpoint()
    stopping = threading.Event()

    class Handler(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            conn: socket.socket = self.request
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                head += chunk
            path = head.split(b" ", 2)[1].decode().split("?")[0]
            state.took(path)
            try:
                if path == "/huge":
                    conn.sendall(f"HTTP/1.1 200 OK\r\ncontent-length: {HUGE_BYTES}\r\n\r\n".encode())
                    block = bytes(65536)
                    for _ in range(HUGE_BYTES // len(block)):
                        conn.sendall(block)
                else:
                    for byte in _DRIP_START:
                        conn.sendall(bytes([byte]))
                        time.sleep(drip_interval_s)
                    while not stopping.is_set():
                        conn.sendall(b"a")
                        time.sleep(drip_interval_s)
            except OSError:
                return  # the caller hung up, as it should

    server = _Server(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    with serving_in_thread(server):
        try:
            yield state
        finally:
            stopping.set()
