"""Every status document says who must act next, what, by when, and with which details."""

from __future__ import annotations

from datetime import timedelta
from typing import get_args

import pytest

from domain.onboarding import ACTOR_BY_STATUS, ErrorInfo, KycInfo, OnboardingState, OnboardingStatus
from tests.support.documents import NOW, status_document


@pytest.mark.parametrize("status", get_args(OnboardingStatus))
def test_every_status_has_a_next_action_with_its_actor(status: str) -> None:
    action = status_document(status).next_action
    assert action.actor == ACTOR_BY_STATUS[status]
    assert action.code and action.message.endswith(".")


def test_awaiting_kyc_asks_the_customer_with_the_link_by_its_expiry() -> None:
    kyc = KycInfo(
        session_id="kyc_1", url="https://kyc.example/s/1", status="pending", expires_at=NOW, flow="redirect"
    )
    action = status_document("awaiting_kyc", kyc=kyc).next_action
    assert (action.actor, action.code, action.due_by) == ("customer", "complete_kyc", NOW)
    assert action.details == {
        "kyc_url": "https://kyc.example/s/1",
        "flow": "redirect",
        "progress": None,
        "documents_missing": None,
        "documents_failed": None,
    }
    assert "the link you send them" in action.message


def test_a_rejection_asks_the_reseller_to_restart_with_the_sessions_left_by_the_deadline() -> None:
    kyc = KycInfo(status="rejected", sessions_started=1, sessions_allowed=3, restart_by=NOW)
    action = status_document("kyc_rejected", kyc=kyc).next_action
    assert (action.actor, action.code, action.due_by) == ("reseller", "restart_kyc", NOW)
    assert action.details == {"sessions_left": 2}
    assert "POST /v1/onboardings/onboarding-cust-1/kyc/restart" in action.message


def test_a_failure_asks_an_operator_with_the_error() -> None:
    error = ErrorInfo(type="provider_rejected", message="the carrier refused the sub-account")
    action = status_document("failed", error=error).next_action
    assert (action.actor, action.code) == ("operator", "investigate_failure")
    assert "the carrier refused the sub-account" in action.message
    assert action.details == {"error_type": "provider_rejected"}


def test_a_cleanup_waiting_for_a_cool_off_says_until_when() -> None:
    until = NOW + timedelta(days=15)
    action = status_document("cancelling", cool_off_until=until).next_action
    assert (action.actor, action.code, action.due_by) == ("nobody", "wait_for_cleanup", until)
    assert "cool-off" in action.message


def test_next_action_is_part_of_the_serialised_document_and_ignored_when_read_back() -> None:
    stored = status_document("completed").model_dump_json()
    assert '"next_action":{"actor":"nobody","code":"none"' in stored
    assert OnboardingState.model_validate_json(stored) == status_document("completed")


def test_awaiting_kyc_names_the_documents_still_missing_and_those_failed() -> None:
    kyc = KycInfo(
        status="pending",
        flow="email",
        documents_required=["pan", "gst or cin"],
        documents={"pan": "failed", "gst": "not_started", "cin": "pending", "aadhaar": "not_started"},
    )
    details = status_document("awaiting_kyc", kyc=kyc).next_action.details
    assert (details["documents_missing"], details["documents_failed"]) == ("pan", "pan")
