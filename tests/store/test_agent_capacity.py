"""Agent-platform slots: racing takers never hold more slots than an account's limit, an onboarding holds
one slot at most, a full account is skipped until one of its slots is given back."""

from __future__ import annotations

import uuid

from sqlalchemy.engine import Engine

from store import agent_capacity, onboardings
from tests.store.test_concurrency import CALLERS, all_at_once
from tests.store.test_onboardings import state


def test_racing_onboardings_take_no_more_slots_than_the_accounts_have(engine: Engine) -> None:
    agent_capacity.sync_accounts(engine, ["default", "second"], limit=2)

    taken = all_at_once(lambda: agent_capacity.take(engine, f"onb-{uuid.uuid4().hex}", ["default", "second"]))

    assert CALLERS > 4
    assert sorted(a for a in taken if a is not None) == ["default", "default", "second", "second"]
    assert taken.count(None) == CALLERS - 4
    use = agent_capacity.usage(engine, ["default", "second"])
    assert [(u.name, u.used, u.limit, u.free) for u in use] == [("default", 2, 2, 0), ("second", 2, 2, 0)]


def test_an_onboarding_holds_one_slot_whoever_asks_again(engine: Engine) -> None:
    agent_capacity.sync_accounts(engine, ["default"], limit=5)
    answers = all_at_once(lambda: agent_capacity.take(engine, "onb-1", ["default"]))
    assert set(answers) == {"default"}
    assert agent_capacity.usage(engine, ["default"])[0].used == 1


def test_a_full_account_is_skipped_until_one_of_its_slots_is_given_back(engine: Engine) -> None:
    agent_capacity.sync_accounts(engine, ["default", "second"], limit=3)
    assert agent_capacity.take(engine, "onb-1", ["default", "second"]) == "default"
    assert agent_capacity.take(engine, "onb-2", ["default", "second"]) == "default"

    agent_capacity.mark_full(engine, "default", "onb-2")  # the platform refused onb-2 there
    assert agent_capacity.slot_of(engine, "onb-2") is None
    assert agent_capacity.take(engine, "onb-2", ["default", "second"]) == "second"
    [default, _] = agent_capacity.usage(engine, ["default", "second"])
    assert default.full_since is not None and default.used == 1 and default.free == 0

    assert agent_capacity.release(engine, "onb-1") == "default"
    assert agent_capacity.release(engine, "onb-1") is None, "a slot is given back once"
    assert agent_capacity.usage(engine, ["default", "second"])[0].full_since is None
    assert agent_capacity.take(engine, "onb-3", ["default", "second"]) == "default"


def test_accounts_added_are_reported_and_a_removed_one_keeps_its_slots(engine: Engine) -> None:
    assert agent_capacity.sync_accounts(engine, ["default"], limit=1) == ["default"]
    assert agent_capacity.take(engine, "onb-1", ["default"]) == "default"
    assert agent_capacity.take(engine, "onb-2", ["default"]) is None

    assert agent_capacity.sync_accounts(engine, ["default", "second"], limit=1) == ["second"]
    assert agent_capacity.take(engine, "onb-2", ["default", "second"]) == "second"

    assert agent_capacity.sync_accounts(engine, ["second"], limit=2) == []
    use = agent_capacity.usage(engine, ["second"])
    assert [(u.name, u.used, u.limit, u.configured) for u in use] == [
        ("second", 1, 2, True),
        ("default", 1, 1, False),
    ]


def test_slots_not_spoken_for_leave_one_for_each_onboarding_under_way_without_one(engine: Engine) -> None:
    agent_capacity.sync_accounts(engine, ["default"], limit=4)
    for reference, status in [("a", "awaiting_kyc"), ("b", "creating_agent"), ("c", "cancelled")]:
        onboardings.claim(engine, state(reference, status=status), "h")
    assert agent_capacity.slots_not_spoken_for(engine, ["default"], 4) == 2  # a and b will take one
    assert agent_capacity.take(engine, "onboarding-b", ["default"]) == "default"
    assert agent_capacity.slots_not_spoken_for(engine, ["default"], 4) == 2  # b holds its own now
    onboardings.claim(engine, state("d"), "h")
    onboardings.claim(engine, state("e"), "h")
    onboardings.claim(engine, state("f"), "h")
    assert agent_capacity.slots_not_spoken_for(engine, ["default"], 4) == 0  # never below none
