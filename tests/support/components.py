"""The stack's processes started one by one, so a test can kill, stop and restart each of them."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from cli.dev import Service, build_services, dev_api_key
from config import Settings
from store import migrate
from tests.support.stack import stack_env


class Components:
    """Temporal dev server, sandbox, ``workers`` workers and the API, each its own process."""

    def __init__(self, data_dir: Path, *, workers: int = 2, **overrides: str) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, **stack_env(data_dir, **overrides), "PYTHONUNBUFFERED": "1"}
        fields = {
            key.removeprefix("ONBOARD_").lower(): value
            for key, value in self.env.items()
            if key.startswith("ONBOARD_")
        }
        self.settings = Settings.model_validate(fields)
        self.logs = data_dir / "logs"
        self.logs.mkdir(exist_ok=True)
        built = build_services(self.settings, dev_api_key(self.settings), workers)
        self.services: dict[str, Service] = {service.name: service for service in built}
        self.api_url = f"http://{self.settings.api_host}:{self.settings.api_port}"
        self.sandbox_url = self.settings.sandbox_public_url

    @property
    def worker_names(self) -> list[str]:
        """Names of the worker processes."""
        return [name for name in self.services if name.startswith("worker")]

    def start_all(self) -> None:
        """Migrate the database, then start every process in order and wait until each is ready."""
        migrate.upgrade(self.settings.database_url)
        for name in ["temporal", "sandbox", *self.worker_names, "api"]:
            self.start(name)

    def start(self, name: str, timeout_s: float = 60.0) -> None:
        """Start ``name`` (again) and wait until it answers."""
        service = self.services[name]
        log = (self.logs / f"{name}.log").open("ab")
        env = {**self.env, **service.env}
        service.popen = subprocess.Popen(service.args, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout_s
        while not service.ready():
            if service.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not start; see {self.logs / f'{name}.log'}")
            time.sleep(0.1)

    def kill(self, name: str) -> None:
        """SIGKILL ``name``: no chance to finish what it was doing."""
        self._signal(name, signal.SIGKILL)

    def stop(self, name: str) -> None:
        """SIGTERM ``name`` and wait for it to exit."""
        self._signal(name, signal.SIGTERM)

    def _signal(self, name: str, signum: int) -> None:
        popen = self.services[name].popen
        if popen is None or popen.poll() is not None:
            return
        popen.send_signal(signum)
        try:
            popen.wait(timeout=20)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.wait()

    def stop_all(self) -> None:
        """Stop everything, API first."""
        for name in ["api", *self.worker_names, "sandbox", "temporal"]:
            self.stop(name)
