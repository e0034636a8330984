"""Operations routes (``/metrics`` and the API docs): open in development, for the operator key only in
production; the metrics also on ``ONBOARD_OPS_PORT`` without a key, apart from the reseller port."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from temporalio.testing import WorkflowEnvironment

from store import agent_capacity, api_keys, onboardings
from tests.api.harness import RunningApi, address_of, api_settings, run_api
from tests.api.test_auth import UNAUTHORIZED
from tests.support.documents import status_document
from tests.support.processes import free_port

OPERATIONS = ["/metrics", "/docs", "/redoc", "/openapi.json"]


@pytest.fixture(scope="module")
def production_api(
    temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    """An API with production settings and an operations port."""
    settings = api_settings(
        tmp_path_factory.mktemp("api-prod"), address_of(temporal), ops_port=free_port()
    ).model_copy(update={"environment": "production"})
    with run_api(settings) as running:
        yield running


@pytest.mark.parametrize("path", OPERATIONS)
def test_development_serves_them_without_a_key(api: RunningApi, path: str) -> None:
    with api.client(key=None) as client:
        assert client.get(path).status_code == 200


@pytest.mark.parametrize("path", OPERATIONS)
def test_production_serves_them_to_the_operator_key_only(production_api: RunningApi, path: str) -> None:
    reseller_key = api_keys.create(production_api.engine, "ops-reseller")
    for key in (None, reseller_key, "not-the-operator-key"):
        with production_api.client(key) as client:
            refused = client.get(path)
        assert refused.status_code == 401, (key, refused.text)
        assert refused.json() == UNAUTHORIZED
        assert refused.headers["www-authenticate"] == "Bearer"
    with production_api.client() as client:
        assert client.get(path).status_code == 200


def test_the_operator_reads_the_metrics_and_the_openapi_document(production_api: RunningApi) -> None:
    with production_api.client() as client:
        client.get("/v1/onboardings")
        scraped = client.get("/metrics").text
        document = client.get("/openapi.json").json()
    assert 'api_requests_total{method="GET",route="/v1/onboardings",status="200"}' in scraped
    assert "/v1/onboardings" in document["paths"]


def test_the_ops_port_serves_the_metrics_without_a_key(production_api: RunningApi) -> None:
    with production_api.client() as client:
        client.get("/healthz")
    scraped = httpx.get(f"http://127.0.0.1:{production_api.settings.ops_port}/metrics", timeout=10.0)
    assert scraped.status_code == 200
    assert 'api_requests_total{method="GET",route="/healthz",status="200"}' in scraped.text


def test_the_metrics_show_agent_capacity_from_the_database(api: RunningApi) -> None:
    agent_capacity.sync_accounts(api.engine, ["default"], limit=1)
    assert agent_capacity.take(api.engine, "onboarding-metrics-1", ["default"]) == "default"
    onboardings.claim(api.engine, status_document("awaiting_agent_capacity", reference="metrics-2"), "h")
    with api.client(key=None) as client:
        scraped = client.get("/metrics").text
    assert 'agent_slots_used{account="default"} 1.0' in scraped
    assert 'agent_slots_limit{account="default"} 1.0' in scraped
    assert 'agent_account_full{account="default"} 0.0' in scraped
    assert "onboardings_awaiting_agent_capacity 1.0" in scraped

    agent_capacity.release(api.engine, "onboarding-metrics-1")
    with api.client(key=None) as client:
        assert 'agent_slots_used{account="default"} 0.0' in client.get("/metrics").text


def test_the_operator_reads_agent_capacity_and_nobody_else(api: RunningApi) -> None:
    agent_capacity.sync_accounts(api.engine, ["default"], limit=3)
    assert agent_capacity.take(api.engine, "onboarding-route-1", ["default"]) == "default"
    reseller_key = api_keys.create(api.engine, "capacity-reseller")
    for key in (None, reseller_key):
        with api.client(key) as client:
            assert client.get("/ops/agent-capacity").status_code == 401
    with api.client() as client:
        answer = client.get("/ops/agent-capacity")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["accounts"] == [
        {"name": "default", "used": 1, "limit": 3, "free": 2, "full_since": None, "configured": True}
    ]
    assert report["free"] == 2
