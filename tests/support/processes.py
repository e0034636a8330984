"""Start the project's real processes (sandbox, API, worker) on free loopback ports for tests."""

from __future__ import annotations

import os
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from pydantic import SecretStr

from config import Settings


@contextmanager
def serving_in_thread(server: socketserver.BaseServer) -> Iterator[None]:
    """Serve ``server`` from a daemon thread until the block ends, then shut it down and close it."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, *, timeout_s: float = 20.0, process: subprocess.Popen[bytes] | None = None) -> None:
    """Poll ``url`` until it answers 2xx; fail early if ``process`` dies."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            if httpx.get(url, timeout=1.0).is_success:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise TimeoutError(f"{url} did not answer within {timeout_s}s")


@dataclass
class Process:
    """A child process with its log file."""

    popen: subprocess.Popen[bytes]
    log: Path

    def stop(self, *, kill: bool = False) -> None:
        """Terminate (or kill) and reap the process."""
        if self.popen.poll() is None:
            if kill:
                self.popen.kill()
            else:
                self.popen.terminate()
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()


def start_process(
    args: list[str], *, env: Mapping[str, str], log: Path, cwd: Path | None = None, own_group: bool = False
) -> Process:
    """Start ``python -m ...``-style ``args`` with ``env`` layered over ours, output to ``log``; with
    ``own_group`` in a process group of its own, as a terminal starts a command."""
    full_env = {**os.environ, **env}
    handle = log.open("ab")
    popen = subprocess.Popen(
        args, env=full_env, stdout=handle, stderr=subprocess.STDOUT, cwd=cwd, start_new_session=own_group
    )
    return Process(popen=popen, log=log)


@dataclass
class Sandbox:
    """A running provider sandbox and the settings that point our clients at it."""

    url: str
    env: dict[str, str]
    process: Process

    @property
    def settings(self) -> Settings:
        """Settings for in-process clients talking to this sandbox: the same agent-platform accounts, each
        planned with the sandbox's sub-account limit."""
        return Settings(
            carrier_base_url=f"{self.url}/api/v1",
            agents_base_url=f"{self.url}/v1",
            agents_accounts=SecretStr(self.env.get("ONBOARD_AGENTS_ACCOUNTS", "")),
            agents_sub_account_limit=int(self.env.get("ONBOARD_AGENTS_SUB_ACCOUNT_LIMIT", "25")),
        )


def with_agent_limit(env: dict[str, str]) -> dict[str, str]:
    """``env`` where our slot accounting plans with the sandbox's agent-platform sub-account limit (unless
    told otherwise), so a stack with a roomier sandbox does not wait for capacity the sandbox has."""
    limit = env.get("ONBOARD_SANDBOX_AGENT_SUB_ACCOUNT_LIMIT")
    if limit is not None and int(limit) > 0:
        env.setdefault("ONBOARD_AGENTS_SUB_ACCOUNT_LIMIT", limit)
    return env


def sandbox_env(data_dir: Path, port: int, **overrides: str) -> dict[str, str]:
    """The environment for a sandbox keeping its state under ``data_dir``."""
    env = {
        "ONBOARD_SANDBOX_PORT": str(port),
        "ONBOARD_SANDBOX_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "ONBOARD_SANDBOX_DATABASE_URL": f"sqlite:///{data_dir / 'sandbox.db'}",
        "ONBOARD_SANDBOX_WEBHOOK_BACKOFF_S": "0.2",
    }
    env.update({f"ONBOARD_{key.upper()}": value for key, value in overrides.items()})
    return with_agent_limit(env)


@contextmanager
def run_sandbox(data_dir: Path, *, port: int | None = None, **overrides: str) -> Iterator[Sandbox]:
    """Run ``python -m sandbox`` until the block ends; ``overrides`` are settings (lower-case names)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    env = sandbox_env(data_dir, port, **overrides)
    process = start_process(
        [sys.executable, "-m", "sandbox", "--port", str(port)], env=env, log=data_dir / "sandbox.log"
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/_sandbox/state", process=process.popen)
        yield Sandbox(url=url, env=env, process=process)
    finally:
        process.stop()
