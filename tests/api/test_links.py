"""Every status document the API answers links to the onboarding's workflow in the Temporal UI."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from temporalio.testing import WorkflowEnvironment

from store import api_keys
from tests.api.harness import RunningApi, address_of, api_settings, onboarding_body, run_api

UI = "https://temporal.example.com/ops"


@pytest.fixture(scope="module")
def linked_api(
    temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    """An API whose operators reach the Temporal UI at ``UI`` (configured with a trailing slash)."""
    settings = api_settings(tmp_path_factory.mktemp("links"), address_of(temporal), temporal_ui_url=f"{UI}/")
    with run_api(settings) as running:
        yield running


def test_start_read_list_and_cancel_answer_the_workflow_link(linked_api: RunningApi) -> None:
    key = api_keys.create(linked_api.engine, "acme")
    with linked_api.client(key) as client:
        started = client.post("/v1/onboardings", json=onboarding_body("linked-1"))
        onboarding_id = started.json()["id"]
        link = f"{UI}/namespaces/default/workflows/{onboarding_id}"
        assert onboarding_id == "onboarding-acme~linked-1"
        assert started.status_code == 202 and started.json()["links"] == {
            "temporal_ui": link,
            "customer_temporal_ui": None,
        }
        assert (
            client.post("/v1/onboardings", json=onboarding_body("linked-1")).json()["links"]["temporal_ui"]
            == link
        )
        assert client.get(f"/v1/onboardings/{onboarding_id}").json()["links"]["temporal_ui"] == link
        [item] = client.get("/v1/onboardings").json()["items"]
        assert item["links"]["temporal_ui"] == link
        cancelled = client.post(f"/v1/onboardings/{onboarding_id}/cancel")
        assert cancelled.status_code == 202 and cancelled.json()["links"]["temporal_ui"] == link


def test_development_links_to_the_embedded_ui(api: RunningApi) -> None:
    with api.client() as client:
        document = client.post("/v1/onboardings", json=onboarding_body("linked-dev")).json()
    ui = f"http://127.0.0.1:{api.settings.temporal_ui_port}"
    assert document["links"]["temporal_ui"] == f"{ui}/namespaces/default/workflows/onboarding-linked-dev"


def test_the_link_is_in_the_openapi_document(api: RunningApi) -> None:
    with api.client() as client:
        schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "links" in schemas["OnboardingDocument"]["properties"]
    assert schemas["OnboardingLinks"]["properties"]["temporal_ui"]["description"]
