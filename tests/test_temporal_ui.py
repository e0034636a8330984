"""Temporal UI links: where they point, what the setting accepts, and when there is none."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from config import Settings
from domain.onboarding import LifecycleInfo, OnboardingState
from telemetry.temporal_ui import UiLinks, onboardings_url, workflow_url
from tests.support.documents import status_document
from tests.test_settings import STRONG

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)


def test_the_workflow_page_url_encodes_the_namespace_and_the_id() -> None:
    url = workflow_url("https://temporal.example", "ops ns", "onboarding-acme~a/b c?#")
    assert url == "https://temporal.example/namespaces/ops%20ns/workflows/onboarding-acme~a%2Fb%20c%3F%23"


def test_the_onboardings_list_url_carries_the_visibility_query() -> None:
    url = urlsplit(onboardings_url("http://127.0.0.1:8233", "default"))
    assert url.path == "/namespaces/default/workflows"
    assert parse_qs(url.query) == {"query": ['WorkflowType="CustomerOnboarding"']}


def test_development_links_to_the_embedded_ui_by_default() -> None:
    assert settings(temporal_ui_port=9000).temporal_ui == "http://127.0.0.1:9000"


@pytest.mark.parametrize("environment", ["development", "production"])
def test_a_configured_ui_url_wins_without_its_trailing_slash(environment: str) -> None:
    values = STRONG if environment == "production" else {}
    configured = settings(**{**values, "temporal_ui_url": " https://temporal.example.com/ "})
    assert configured.temporal_ui == "https://temporal.example.com"


def test_production_without_a_ui_url_has_no_link() -> None:
    assert settings(**STRONG).temporal_ui is None


@pytest.mark.parametrize("value", ["temporal.example.com", "ftp://temporal.example.com", "https://"])
def test_a_ui_url_that_is_not_absolute_http_is_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="temporal_ui_url"):
        settings(temporal_ui_url=value)


def state() -> OnboardingState:
    return status_document("failed", reseller="acme")


def test_a_served_document_is_the_state_with_its_link() -> None:
    served = UiLinks("https://temporal.example.com", "prod").document(state()).model_dump(mode="json")
    link = served.pop("links")
    assert link == {
        "temporal_ui": "https://temporal.example.com/namespaces/prod/workflows/onboarding-acme~cust-1",
        "customer_temporal_ui": None,
    }
    assert served == state().model_dump(mode="json")  # next_action included


def test_a_customer_with_a_lifecycle_links_its_lifecycle_workflow_too() -> None:
    suspended = state().model_copy(update={"status": "suspended", "lifecycle": LifecycleInfo(operations=1)})
    links = UiLinks("https://temporal.example.com", "prod").document(suspended).links
    assert (
        links.customer_temporal_ui
        == "https://temporal.example.com/namespaces/prod/workflows/customer-acme~cust-1"
    )


def test_without_a_ui_the_link_is_null() -> None:
    assert UiLinks(None).document(state()).links.temporal_ui is None
