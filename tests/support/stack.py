"""Run the real development stack (``onboard dev``) on free ports in a scratch folder."""

from __future__ import annotations

import re
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import Process, free_port, start_process, with_agent_limit

API_KEY = "test-e2e-api-key"


@dataclass
class Stack:
    """Addresses of a running stack and an authenticated client for its API."""

    api_url: str
    sandbox_url: str
    temporal_address: str
    ui_url: str
    worker_metrics_url: str
    data_dir: Path
    env: dict[str, str]
    process: Process

    def api(self) -> httpx.Client:
        """An HTTP client for the reseller API with the stack's key."""
        return httpx.Client(
            base_url=self.api_url, headers={"Authorization": f"Bearer {API_KEY}"}, timeout=30.0
        )

    def wait_for_status(
        self, client: httpx.Client, onboarding_id: str, wanted: set[str], timeout_s: float = 60.0
    ) -> dict[str, Any]:
        """Poll the API until the onboarding reaches one of ``wanted``; return its document."""
        deadline = time.monotonic() + timeout_s
        document: dict[str, Any] = {}
        while time.monotonic() < deadline:
            response = client.get(f"/v1/onboardings/{onboarding_id}")
            response.raise_for_status()
            document = response.json()
            if document["status"] in wanted:
                return document
            time.sleep(0.2)
        raise TimeoutError(f"{onboarding_id} stuck in {document.get('status')}: {document}")

    def approve_on_hosted_page(self, session_id: str, outcome: str = "approved") -> httpx.Response:
        """Open the session's hosted KYC page (emailed or handed out: the sandbox's control tells its link)
        and press its button, as a browser would."""
        opened = httpx.post(f"{self.sandbox_url}/_sandbox/kyc-sessions/{session_id}/open", timeout=10.0)
        opened.raise_for_status()
        widget_url = opened.json()["link"]
        page = httpx.get(widget_url, timeout=10.0)
        page.raise_for_status()
        match = re.search(r'<form[^>]*action="([^"]+)"', page.text)
        action = match.group(1) if match else widget_url
        return httpx.post(httpx.URL(widget_url).join(action), data={"outcome": outcome}, timeout=10.0)

    def sandbox_state(self) -> dict[str, Any]:
        """The sandbox's resource counts."""
        response = httpx.get(f"{self.sandbox_url}/_sandbox/state", timeout=10.0)
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state


def onboarding_body(reference: str, *, count: int = 2, kyc_mode: str = "customer_use") -> dict[str, Any]:
    """A valid start request for ``reference``."""
    return {
        "reference": reference,
        "business_name": "Acme Dental Clinic",
        "email": "owner@acme-dental.example",
        "business_type": "private_limited",
        "kyc_mode": kyc_mode,
        "numbers": {"country": "IN", "count": count},
        "agent": {"name": "Front desk", "voice_mode": "hosted", "system_prompt": "Book appointments."},
        "kyc_expires_in_days": 7,
    }


def stack_env(data_dir: Path, **overrides: str) -> dict[str, str]:
    """Settings for a stack isolated in ``data_dir`` on fresh ports."""
    temporal, ui, sandbox, api, metrics = (free_port() for _ in range(5))
    env = {
        "ONBOARD_DATA_DIR": str(data_dir),
        "ONBOARD_TEMPORAL_ADDRESS": f"127.0.0.1:{temporal}",
        "ONBOARD_TEMPORAL_UI_PORT": str(ui),
        "ONBOARD_DATABASE_URL": f"sqlite:///{data_dir / 'onboarding.db'}",
        "ONBOARD_SANDBOX_PORT": str(sandbox),
        "ONBOARD_SANDBOX_PUBLIC_URL": f"http://127.0.0.1:{sandbox}",
        "ONBOARD_SANDBOX_DATABASE_URL": f"sqlite:///{data_dir / 'sandbox.db'}",
        "ONBOARD_CARRIER_BASE_URL": f"http://127.0.0.1:{sandbox}/api/v1",
        "ONBOARD_AGENTS_BASE_URL": f"http://127.0.0.1:{sandbox}/v1",
        "ONBOARD_API_PORT": str(api),
        "ONBOARD_PUBLIC_BASE_URL": f"http://127.0.0.1:{api}",
        "ONBOARD_API_KEY": API_KEY,
        "ONBOARD_WORKER_METRICS_PORT": str(metrics),
        "ONBOARD_SANDBOX_WEBHOOK_BACKOFF_S": "0.2",
    }
    env.update({f"ONBOARD_{key.upper()}": value for key, value in overrides.items()})
    return with_agent_limit(env)


@contextmanager
def run_stack(
    data_dir: Path, *, timeout_s: float = 90.0, workers: int = 1, **overrides: str
) -> Iterator[Stack]:
    """Start ``onboard dev --workers N`` and wait until every service answers; stop it when the block
    ends."""
    data_dir.mkdir(parents=True, exist_ok=True)
    env = stack_env(data_dir, **overrides)
    args = [str(Path(sys.executable).parent / "onboard"), "dev", "--workers", str(workers)]
    process = start_process(args, env=env, log=data_dir / "onboard-dev.log", own_group=True)
    stack = Stack(
        api_url=f"http://127.0.0.1:{env['ONBOARD_API_PORT']}",
        sandbox_url=env["ONBOARD_SANDBOX_PUBLIC_URL"],
        temporal_address=env["ONBOARD_TEMPORAL_ADDRESS"],
        ui_url=f"http://127.0.0.1:{env['ONBOARD_TEMPORAL_UI_PORT']}",
        worker_metrics_url=f"http://127.0.0.1:{env['ONBOARD_WORKER_METRICS_PORT']}/metrics",
        data_dir=data_dir,
        env=env,
        process=process,
    )
    try:
        deadline = time.monotonic() + timeout_s
        log = data_dir / "onboard-dev.log"
        while "The stack is up" not in (log.read_text(errors="replace") if log.exists() else ""):
            if process.popen.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the stack did not start:\n{log.read_text(errors='replace')}")
            time.sleep(0.1)
        yield stack
    finally:
        process.stop()
