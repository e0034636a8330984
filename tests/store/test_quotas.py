"""Quotas counted at claim: what each limit counts, repeats never counted, and no overshoot when claims of
one reseller race on separate connections (as from several API replicas)."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy.engine import Engine

from config.quotas import Quota
from domain.onboarding import OnboardingState
from store import onboardings
from store.quotas import START_WINDOW, QuotaExceeded
from tests.store.test_concurrency import all_at_once
from tests.store.test_onboardings import T0, state

ROOMY = Quota(in_flight=100, starts_per_minute=100, agent_slots=0)


def of(
    reseller: str, reference: str, *, created: datetime = T0, status: str = "creating_sub_account"
) -> OnboardingState:
    """A new onboarding of ``reseller`` (its workflow id unique across resellers)."""
    draft = state(f"{reseller}-{reference}", created=created, status=status)
    return draft.model_copy(update={"reseller": reseller})


def refused(engine: Engine, draft: OnboardingState, quota: Quota) -> QuotaExceeded:
    with pytest.raises(QuotaExceeded) as raised:
        onboardings.claim(engine, draft, "h", quota)
    assert onboardings.find(engine, draft.reseller, draft.reference) is None, "a refused record is kept"
    return raised.value


def test_in_flight_counts_onboardings_not_yet_terminal(engine: Engine) -> None:
    quota = ROOMY.model_copy(update={"in_flight": 2})
    earlier = T0 - timedelta(hours=1)
    for reference, status in [("done", "completed"), ("gone", "cancelled"), ("lost", "failed")]:
        onboardings.claim(engine, of("acme", reference, created=earlier, status=status), "h")
    onboardings.claim(engine, of("acme", "waiting", created=earlier, status="awaiting_kyc"), "h")
    onboardings.claim(engine, of("acme", "undoing", created=earlier, status="cancelling"), "h")

    exceeded = refused(engine, of("acme", "new"), quota)
    assert (exceeded.quota, exceeded.limit, exceeded.frees_at) == ("in_flight", 2, None)
    _, created = onboardings.claim(engine, of("globex", "new"), "h", quota)
    assert created, "another reseller's onboardings count for it alone"


def test_a_repeated_reference_is_answered_whatever_the_quota(engine: Engine) -> None:
    quota = ROOMY.model_copy(update={"in_flight": 1})
    first, _ = onboardings.claim(engine, of("acme", "a"), "h", quota)
    again, created = onboardings.claim(engine, of("acme", "a"), "h", quota)
    assert again == first and not created
    with pytest.raises(onboardings.ReferenceConflict):
        onboardings.claim(engine, of("acme", "a"), "other-request", quota)


def test_starts_per_minute_counts_the_last_60_seconds_and_frees_as_the_oldest_leaves(engine: Engine) -> None:
    quota = ROOMY.model_copy(update={"starts_per_minute": 2})
    onboardings.claim(engine, of("acme", "old", created=T0 - START_WINDOW, status="completed"), "h")
    onboardings.claim(engine, of("acme", "a", created=T0 - timedelta(seconds=50)), "h")
    onboardings.claim(engine, of("acme", "b", created=T0 - timedelta(seconds=20)), "h")

    exceeded = refused(engine, of("acme", "c"), quota)
    assert exceeded.quota == "starts_per_minute" and exceeded.limit == 2
    assert exceeded.frees_at == T0 + timedelta(seconds=10)
    _, created = onboardings.claim(engine, of("acme", "c", created=T0 + timedelta(seconds=10)), "h", quota)
    assert created


@pytest.mark.parametrize("freed_by", ["cancelled", "failed", "kyc_expired"])
def test_agent_slots_are_held_when_completed_reserved_in_flight_and_freed_by_compensation(
    engine: Engine, freed_by: str
) -> None:
    quota = ROOMY.model_copy(update={"agent_slots": 2})
    earlier = T0 - timedelta(hours=1)
    onboardings.claim(engine, of("acme", "done", created=earlier, status="completed"), "h")
    onboardings.claim(engine, of("acme", "freed", created=earlier, status=freed_by), "h")
    onboardings.claim(engine, of("acme", "running", created=earlier, status="buying_numbers"), "h")

    exceeded = refused(engine, of("acme", "new"), quota)
    assert (exceeded.quota, exceeded.limit, exceeded.frees_at) == ("agent_slots", 2, None)
    unlimited = quota.model_copy(update={"agent_slots": 0})
    assert onboardings.claim(engine, of("acme", "new"), "h", unlimited)[1]


def test_the_quota_that_stays_full_longest_is_the_one_reported(engine: Engine) -> None:
    onboardings.claim(engine, of("acme", "a"), "h")
    everything_full = Quota(in_flight=1, starts_per_minute=1, agent_slots=1)
    assert refused(engine, of("acme", "b"), everything_full).quota == "agent_slots"
    assert refused(engine, of("acme", "b"), everything_full.model_copy(update={"agent_slots": 0})).quota == (
        "in_flight"
    )


def test_racing_claims_of_one_reseller_never_overshoot(engine: Engine) -> None:
    quota = ROOMY.model_copy(update={"in_flight": 3})

    def claim() -> bool:
        try:
            return onboardings.claim(engine, of("acme", uuid.uuid4().hex), "h", quota)[1]
        except QuotaExceeded:
            return False

    assert sum(all_at_once(claim)) == 3
    listed, _ = onboardings.list_states(engine, reseller="acme", statuses=None, limit=10, cursor=None)
    assert len(listed) == 3
