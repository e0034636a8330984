"""The OpenAPI document says exactly what the API does: schemathesis (tests/api/schemathesis.toml) generates
requests for every route of a live API whose workflows a worker runs, valid and invalid, boundaries and
call sequences included, and runs all its checks on each answer: status code, content type, headers and
body as declared; valid data accepted and invalid data refused; no server error; no route ignoring its
credentials. Seeded, so every run generates the same requests."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from temporalio.testing import WorkflowEnvironment

from config import Settings
from store import api_keys
from tests.api.harness import API_KEY, RunningApi, address_of, live_settings, run_api
from tests.api.test_lifecycle import worker
from tests.support.processes import Sandbox

__all__ = ["worker"]
pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
RESELLER = "conformance"
#: generated starts that validate start real workflows: this quota bounds them, and answers 429
QUOTAS = {RESELLER: {"in_flight": 40}}
#: the default limit, which a longest ASCII onboarding request fits (the harness's is smaller)
BODY_LIMIT = Settings.model_fields["max_body_bytes"].default


@pytest.fixture(scope="module")
def live_api(
    temporal: WorkflowEnvironment, sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    """An API whose workflows the ``worker`` runs against the sandbox, so that each route answers for real."""
    data_dir = tmp_path_factory.mktemp("conformance")
    settings = live_settings(
        data_dir, address_of(temporal), sandbox.url, reseller_quotas=QUOTAS, max_body_bytes=BODY_LIMIT
    )
    with run_api(settings) as running:
        yield running


async def test_every_route_answers_as_its_document_says(live_api: RunningApi, worker: None) -> None:
    env = {
        **os.environ,
        "ONBOARD_CONFORMANCE_RESELLER_KEY": api_keys.create(live_api.engine, RESELLER),
        "ONBOARD_CONFORMANCE_OPERATOR_KEY": API_KEY,
    }
    schemathesis = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "--no-color"),
        *("run", f"{live_api.url}/openapi.json", "--checks", "all"),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    try:
        output, _ = await asyncio.wait_for(schemathesis.communicate(), timeout=240)
    finally:
        if schemathesis.returncode is None:
            schemathesis.kill()
            await schemathesis.wait()
    assert schemathesis.returncode == 0, output.decode()
