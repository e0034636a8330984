"""Operator views on the real stack: ``onboard dev`` links the Temporal UI's list of onboardings, whose query
finds them with their status columns filled, and each status document links its workflow page."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from temporalio.client import Client

from domain.search_attributes import KYC_STATUS, ONBOARDING_STATUS
from telemetry.temporal_ui import ONBOARDINGS_QUERY, VIEW_COLUMNS, onboardings_url
from tests.support.stack import Stack, onboarding_body

pytestmark = pytest.mark.slow


def test_onboard_dev_prints_the_ui_list_filtered_to_onboardings(stack: Stack) -> None:
    console = (stack.data_dir / "onboard-dev.log").read_text(errors="replace")
    listed = onboardings_url(stack.ui_url, "default")
    assert f"  Onboardings {listed}\n" in console
    assert all(column in console for column in VIEW_COLUMNS), console
    assert httpx.get(listed, timeout=10).status_code == 200  # the UI serves it


async def listed_by_the_view(stack: Stack, onboarding_id: str) -> dict[str, str | None]:
    """The onboarding's columns in the view (visibility is eventually consistent: wait for it)."""
    client = await Client.connect(stack.temporal_address)
    for _ in range(100):
        async for found in client.list_workflows(ONBOARDINGS_QUERY):
            if found.id == onboarding_id and found.typed_search_attributes.get(KYC_STATUS) == "pending":
                attributes = found.typed_search_attributes
                return {
                    "OnboardingStatus": attributes.get(ONBOARDING_STATUS),
                    "KycStatus": attributes.get(KYC_STATUS),
                }
        await asyncio.sleep(0.1)
    raise AssertionError(f"{ONBOARDINGS_QUERY} never listed {onboarding_id} awaiting KYC")


async def test_the_view_lists_an_onboarding_whose_document_links_its_page(stack: Stack) -> None:
    with stack.api() as api:
        started = api.post("/v1/onboardings", json=onboarding_body("e2e-views", count=1))
        assert started.status_code == 202, started.text
        waiting = stack.wait_for_status(api, started.json()["id"], {"awaiting_kyc"})

    page = f"{stack.ui_url}/namespaces/default/workflows/onboarding-e2e-views"
    assert waiting["links"] == {"temporal_ui": page, "customer_temporal_ui": None}
    assert await listed_by_the_view(stack, waiting["id"]) == {
        "OnboardingStatus": "awaiting_kyc",
        "KycStatus": "pending",
    }
