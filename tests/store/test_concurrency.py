"""Concurrency-sensitive store paths under parallel callers, each thread on its own connection."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import func
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store import inbox, onboardings
from store.models import OnboardingRecord, WebhookEvent
from tests.store.test_onboardings import T0, state

CALLERS = 8
T = TypeVar("T")


def all_at_once(call: Callable[[], T], callers: int = CALLERS) -> list[T]:
    """Run ``call`` in ``callers`` threads released together by a barrier."""
    barrier = threading.Barrier(callers)

    def run() -> T:
        barrier.wait(timeout=10)
        return call()

    with ThreadPoolExecutor(callers) as pool:
        return [f.result(timeout=60) for f in [pool.submit(run) for _ in range(callers)]]


def count(engine: Engine, model: type[OnboardingRecord] | type[WebhookEvent]) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(model)).one()


def test_concurrent_claims_of_one_reference_create_exactly_one_record(engine: Engine) -> None:
    results = all_at_once(lambda: onboardings.claim(engine, state("race"), "same-request"))
    assert sum(created for _, created in results) == 1
    assert len({claimed.model_dump_json() for claimed, _ in results}) == 1
    assert count(engine, OnboardingRecord) == 1


def test_concurrent_deliveries_of_one_webhook_event_store_one_row(engine: Engine) -> None:
    def deliver() -> bool:
        return inbox.record(engine, WebhookEvent(id="evt_race", type="kyc.approved", session_id="ks_1"))

    stored = all_at_once(deliver)
    assert count(engine, WebhookEvent) == 1
    assert sorted(stored) == [False] * (len(stored) - 1) + [True], "one delivery stores it, the rest see it"


def test_pagination_during_concurrent_inserts_returns_each_record_once(engine: Engine) -> None:
    seeded = {f"seed{i:02d}" for i in range(30)}
    for i, reference in enumerate(sorted(seeded)):
        onboardings.claim(engine, state(reference, created=T0 + timedelta(seconds=i)), "h")
    page_read, inserted = threading.Semaphore(0), threading.Semaphore(0)
    done = threading.Event()

    def insert_between_pages() -> None:
        # after each page: one record newer than all (it would shift an offset-based page) and one in
        # the middle of what is left to read
        n = 0
        while page_read.acquire(timeout=10) and not done.is_set():
            for created in (
                T0 + timedelta(hours=1, seconds=n),
                T0 + timedelta(seconds=n % 30, milliseconds=500),
            ):
                onboardings.claim(engine, state(f"late{n:03d}", created=created), "h")
                n += 1
            inserted.release()

    writer = threading.Thread(target=insert_between_pages)
    writer.start()
    seen: list[str] = []
    cursor: str | None = None
    try:
        while True:
            page, cursor = onboardings.list_states(
                engine, reseller="default", statuses=None, limit=4, cursor=cursor
            )
            seen += [item.reference for item in page]
            if cursor is None:
                break
            page_read.release()
            assert inserted.acquire(timeout=10)
    finally:
        done.set()
        page_read.release()
        writer.join(timeout=10)
    assert len(seen) == len(set(seen)), "a record was returned twice"
    assert seeded <= set(seen), "a record that existed before the first page was skipped"
