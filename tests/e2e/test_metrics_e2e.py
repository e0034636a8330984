"""What an operator scrapes after onboardings ran: the named series on the worker's and the API's
Prometheus endpoints, with the labels the dashboards in docs/operations.md rely on."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.stack import Stack, onboarding_body

pytestmark = pytest.mark.slow


def _series(text: str) -> set[str]:
    """Every sample line of a Prometheus text exposition, without its value."""
    return {line.rsplit(" ", 1)[0] for line in text.splitlines() if line and not line.startswith("#")}


def _has(series: set[str], name: str, **labels: str) -> bool:
    """Whether a sample of ``name`` carries all of ``labels``."""
    wanted = [f'{key}="{value}"' for key, value in labels.items()]
    return any(re.match(rf"{name}(\{{|$)", s) and all(w in s for w in wanted) for s in series)


def test_metrics_name_the_onboardings_provider_calls_and_api_requests(stack: Stack) -> None:
    with stack.api() as api:
        onboarding_id = api.post("/v1/onboardings", json=onboarding_body("e2e-metrics", count=1)).json()["id"]
        waiting = stack.wait_for_status(api, onboarding_id, {"awaiting_kyc"})
        assert stack.approve_on_hosted_page(waiting["kyc"]["session_id"]).status_code == 200
        assert stack.wait_for_status(api, onboarding_id, {"completed", "failed"})["status"] == "completed"
        scraped_api = api.get("/metrics")
    scraped_worker = httpx.get(stack.worker_metrics_url, timeout=10.0)
    assert scraped_api.status_code == 200 and scraped_worker.status_code == 200

    worker = _series(scraped_worker.text)
    assert _has(worker, "onboarding_started_total")
    assert _has(worker, "onboarding_completed_total", outcome="completed")
    assert _has(worker, "provider_requests_total", route="POST /api/v1/accounts/{id}/sub-accounts/")
    assert _has(worker, "provider_request_seconds_bucket", route="POST /v1/agents")
    # the SDK runtime's own series, from the same endpoint
    assert _has(worker, "temporal_workflow_completed_total", workflow_type="CustomerOnboarding")
    assert _has(worker, "temporal_activity_execution_latency_bucket", activity_type="create_agent")

    served = _series(scraped_api.text)
    assert _has(served, "api_requests_total", route="/v1/onboardings", method="POST", status="202")
    assert _has(served, "api_request_seconds_bucket", route="/v1/onboardings/{onboarding_id}")
    assert _has(served, "api_webhook_events_total", outcome="accepted")
