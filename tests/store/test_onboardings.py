"""Onboarding records: idempotent claim, status mirror ordering, session links, pagination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from domain.onboarding import (
    AgentSpec,
    KycInfo,
    KycProgress,
    KycProgressEvent,
    NumbersRequest,
    OnboardingRequest,
    OnboardingState,
)
from store import onboardings
from store.pages import InvalidCursor

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


def state(reference: str, *, created: datetime = T0, status: str = "creating_sub_account") -> OnboardingState:
    return OnboardingState.model_validate(
        {
            "id": f"onboarding-{reference}",
            "reference": reference,
            "status": status,
            "kyc_mode": "customer_use",
            "created_at": created,
            "updated_at": created,
        }
    )


def test_claim_is_idempotent_for_the_same_request_and_refuses_another(engine: Engine) -> None:
    first, created = onboardings.claim(engine, state("a"), "hash-1")
    again, created_again = onboardings.claim(engine, state("a"), "hash-1")
    assert created and not created_again and again == first
    with pytest.raises(onboardings.ReferenceConflict):
        onboardings.claim(engine, state("a"), "hash-2")


def test_an_older_status_never_overwrites_a_newer_one(engine: Engine) -> None:
    onboardings.claim(engine, state("a"), "h")
    newer = state("a", status="awaiting_kyc").model_copy(update={"updated_at": T0 + timedelta(minutes=2)})
    older = state("a", status="starting_kyc").model_copy(update={"updated_at": T0 + timedelta(minutes=1)})
    onboardings.save_state(engine, newer)
    onboardings.save_state(engine, older)
    stored = onboardings.get_state(engine, "onboarding-a")
    assert stored is not None and stored.status == "awaiting_kyc"


def test_a_mirror_of_the_same_instant_is_written_and_the_callback_url_kept(engine: Engine) -> None:
    onboardings.claim(engine, state("a"), "h")
    url = "https://hooks.example.com/onboarding"
    buying = state("a", status="buying_numbers").model_copy(update={"updated_at": T0 + timedelta(minutes=1)})
    onboardings.save_state(engine, buying, url)
    # a number bought in the same workflow task: the same instant, one number more
    onboardings.save_state(engine, buying.model_copy(update={"numbers": ["+14155550100"]}))
    stored = onboardings.get_state(engine, "onboarding-a")
    assert stored is not None and stored.numbers == ["+14155550100"]
    assert onboardings.callback_url(engine, "onboarding-a") == url


def test_a_mirror_without_a_record_says_so(engine: Engine) -> None:
    with pytest.raises(onboardings.RecordMissing):
        onboardings.save_state(engine, state("never-claimed", status="completed"))
    with pytest.raises(onboardings.RecordMissing):
        onboardings.save_state(engine, state("never-claimed", status="awaiting_kyc"))


def waiting(session_id: str, at: datetime) -> OnboardingState:
    """Awaiting KYC in ``session_id``, as mirrored at ``at``."""
    return state("a", status="awaiting_kyc").model_copy(
        update={"kyc": KycInfo(session_id=session_id, status="pending"), "updated_at": at}
    )


def progress(session_id: str, event: KycProgressEvent) -> KycProgress:
    return KycProgress(event_id=f"{session_id}:{event}", session_id=session_id, event=event, occurred_at=T0)


def test_progress_shows_at_once_and_a_later_mirror_keeps_it(engine: Engine) -> None:
    onboardings.claim(engine, state("a"), "h")
    onboardings.save_state(engine, waiting("ks_1", T0))
    assert onboardings.record_progress(engine, "onboarding-a", progress("ks_1", "kyc.submitted"))
    assert not onboardings.record_progress(engine, "onboarding-a", progress("ks_1", "kyc.initiated"))
    assert not onboardings.record_progress(engine, "onboarding-a", progress("ks_0", "kyc.initiated"))
    shown = onboardings.get_state(engine, "onboarding-a")
    assert shown is not None and shown.kyc.progress == "kyc.submitted" and shown.updated_at == T0

    # the workflow mirrors a change it made before the progress reached it (a reminder): progress stays
    onboardings.save_state(engine, waiting("ks_1", T0 + timedelta(minutes=1)))
    kept = onboardings.get_state(engine, "onboarding-a")
    assert kept is not None and kept.kyc.progress == "kyc.submitted"
    # a new session starts without progress
    onboardings.save_state(engine, waiting("ks_2", T0 + timedelta(minutes=2)))
    renewed = onboardings.get_state(engine, "onboarding-a")
    assert renewed is not None and renewed.kyc.session_id == "ks_2" and renewed.kyc.progress is None


def test_progress_is_not_recorded_unless_awaiting_kyc(engine: Engine) -> None:
    onboardings.claim(engine, state("a"), "h")
    onboardings.save_state(engine, waiting("ks_1", T0).model_copy(update={"status": "unblocking_calls"}))
    assert not onboardings.record_progress(engine, "onboarding-a", progress("ks_1", "kyc.initiated"))
    assert not onboardings.record_progress(engine, "onboarding-missing", progress("ks_1", "kyc.initiated"))


def test_state_is_only_visible_to_its_reseller(engine: Engine) -> None:
    onboardings.claim(engine, state("a"), "h")
    assert onboardings.get_state(engine, "onboarding-a", reseller="default") is not None
    assert onboardings.get_state(engine, "onboarding-a", reseller="other") is None


def test_every_kyc_session_stays_linked_to_its_onboarding(engine: Engine) -> None:
    onboardings.claim(engine, state("a"), "h")
    onboardings.link_kyc_session(engine, "onboarding-a", "ks_1")
    onboardings.link_kyc_session(engine, "onboarding-a", "ks_2")
    onboardings.link_kyc_session(engine, "onboarding-a", "ks_2")
    for session_id in ("ks_1", "ks_2"):
        owner = onboardings.kyc_session_owner(engine, session_id)
        assert owner is not None and owner.record.id == "onboarding-a"
    assert onboardings.kyc_session_owner(engine, "ks_unknown") is None


def test_pagination_walks_every_record_once_newest_first(engine: Engine) -> None:
    for i in range(7):
        onboardings.claim(engine, state(f"r{i}", created=T0 + timedelta(seconds=i // 2)), "h")
    seen: list[str] = []
    cursor: str | None = None
    while True:
        page, cursor = onboardings.list_states(
            engine, reseller="default", statuses=None, limit=3, cursor=cursor
        )
        seen += [item.reference for item in page]
        if cursor is None:
            break
    assert sorted(seen) == [f"r{i}" for i in range(7)]
    assert len(seen) == len(set(seen))
    assert seen[0] == "r6"


def test_status_filter_and_bad_cursor(engine: Engine) -> None:
    onboardings.claim(engine, state("a"), "h")
    onboardings.claim(engine, state("b", status="completed"), "h")
    page, _ = onboardings.list_states(
        engine, reseller="default", statuses={"completed"}, limit=10, cursor=None
    )
    assert [item.reference for item in page] == ["b"]
    with pytest.raises(InvalidCursor):
        onboardings.list_states(engine, reseller="default", statuses=None, limit=10, cursor="!!not-ours")


#: The fingerprint the first release stored for this request (before ``callback_url`` existed).
FIRST_RELEASE_FINGERPRINT = "64e5b7f46813e797a06e1d24dd860a9b5ad7394d58d6dd7ab76357b6ddb0901f"


def test_a_request_fingerprinted_by_the_first_release_still_matches_and_a_callback_url_counts() -> None:
    request = OnboardingRequest(
        reference="cust-1001",
        business_name="Acme Dental Clinic",
        email="owner@acme-dental.example",
        business_type="private_limited",
        kyc_mode="customer_use",
        numbers=NumbersRequest(country="IN", count=2),
        agent=AgentSpec(name="Front desk", system_prompt="Book appointments."),
    )
    assert onboardings.request_fingerprint(request) == FIRST_RELEASE_FINGERPRINT
    with_callback = request.model_copy(update={"callback_url": "https://hooks.example.com/onboarding"})
    assert onboardings.request_fingerprint(with_callback) != FIRST_RELEASE_FINGERPRINT
    redirect = request.model_copy(
        update={"kyc_flow": "redirect", "kyc_redirect_url": "https://reseller.example/kyc-done"}
    )
    assert onboardings.request_fingerprint(redirect) != FIRST_RELEASE_FINGERPRINT
    agent_numbers = request.model_copy(
        update={"numbers": NumbersRequest(country="IN", count=2, provider="agent_platform")}
    )
    assert onboardings.request_fingerprint(agent_numbers) != FIRST_RELEASE_FINGERPRINT


def superseded(engine: Engine, session_id: str) -> bool:
    owner = onboardings.kyc_session_owner(engine, session_id)
    assert owner is not None, session_id
    return owner.superseded


def test_a_session_is_superseded_once_a_newer_one_is_linked_to_its_onboarding(engine: Engine) -> None:
    onboardings.claim(engine, state("a"), "h")
    onboardings.claim(engine, state("b"), "h")
    onboardings.link_kyc_session(engine, "onboarding-a", "kyc_first")
    onboardings.link_kyc_session(engine, "onboarding-b", "kyc_other_customer")
    assert not superseded(engine, "kyc_first")
    onboardings.link_kyc_session(engine, "onboarding-a", "kyc_second")
    assert superseded(engine, "kyc_first")
    assert not superseded(engine, "kyc_second")
    assert not superseded(engine, "kyc_other_customer")
    assert onboardings.kyc_session_owner(engine, "kyc_nobody_started") is None
