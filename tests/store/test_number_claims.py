"""Number claims: one onboarding per number, concurrent claims settle on one winner, release is scoped."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.engine import Engine

from store import number_claims


def test_a_number_belongs_to_the_first_onboarding_that_claims_it(engine: Engine) -> None:
    assert number_claims.claim(engine, "+918065550001", "onboarding-a")
    assert number_claims.claim(engine, "+918065550001", "onboarding-a"), "a repeat of the same claim holds"
    assert not number_claims.claim(engine, "+918065550001", "onboarding-b")
    assert number_claims.claimed_by(engine, "onboarding-a") == ["+918065550001"]
    assert number_claims.claimed_by(engine, "onboarding-b") == []


def test_concurrent_claims_have_exactly_one_winner(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        won = list(pool.map(lambda i: number_claims.claim(engine, "+918065550002", f"o-{i}"), range(8)))
    assert won.count(True) == 1


def test_only_the_holder_releases_a_claim(engine: Engine) -> None:
    number_claims.claim(engine, "+918065550003", "onboarding-a")
    number_claims.release(engine, "+918065550003", "onboarding-b")
    assert number_claims.claimed_by(engine, "onboarding-a") == ["+918065550003"]
    number_claims.release(engine, "+918065550003", "onboarding-a")
    assert number_claims.claimed_by(engine, "onboarding-a") == []
    assert number_claims.claim(engine, "+918065550003", "onboarding-b")
