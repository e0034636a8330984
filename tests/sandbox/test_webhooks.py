"""KYC webhooks: the vendor's events and signature, retried until a 2xx, every attempt recorded."""

from __future__ import annotations

import asyncio
import hmac
import json
import sqlite3
import threading
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import inspect

from config import DEV_CARRIER_AUTH_TOKEN, Settings
from providers.kyc_models import kyc_signature
from sandbox.db import open_database
from sandbox.webhooks import MAX_IN_FLIGHT, Outbox
from tests.sandbox.conftest import create_customer, start_session
from tests.support.processes import Sandbox
from tests.support.receiver import Received, WebhookReceiver

BODY_FIELDS = {"event", "session_id", "sub_auth_id", "overall_status", "verifications", "occurred_at"}


def wait_for(receiver: WebhookReceiver, count: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while len(receiver.received) < count:
        assert time.monotonic() < deadline, f"only {len(receiver.received)} of {count} webhooks arrived"
        time.sleep(0.05)


def attempts_for(sandbox: Sandbox, event_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = httpx.get(f"{sandbox.url}/_sandbox/webhooks").json()
    return [attempt for attempt in listed if attempt["event_id"] == event_id]


def verified(delivery: Received) -> dict[str, Any]:
    """The body of a delivery whose ``X-Vobiz-Signature`` is right for the master token (else fail)."""
    expected = kyc_signature(delivery.body.encode(), DEV_CARRIER_AUTH_TOKEN)
    assert hmac.compare_digest(delivery.headers["x-vobiz-signature"], expected)
    return delivery.event


def control(sandbox: Sandbox, session_id: str, action: str, **body: str) -> None:
    response = httpx.post(f"{sandbox.url}/_sandbox/kyc-sessions/{session_id}/{action}", json=body or None)
    response.raise_for_status()


def test_a_session_sends_each_step_signed_and_a_refused_delivery_is_retried(
    carrier: httpx.Client, sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    receiver.statuses = [500]
    sub = create_customer(carrier)
    session = start_session(carrier, sub["auth_id"], webhook_url=receiver.url)
    control(sandbox, session["session_id"], "open")
    wait_for(receiver, 2)
    control(sandbox, session["session_id"], "submit")
    wait_for(receiver, 3)
    control(sandbox, session["session_id"], "complete", outcome="approved")
    wait_for(receiver, 4)

    events = [verified(delivery) for delivery in receiver.received]
    assert [e["event"] for e in events] == [
        "kyc.initiated",
        "kyc.initiated",
        "kyc.submitted",
        "kyc.completed",
    ]
    assert receiver.received[0].body == receiver.received[1].body
    assert all(set(e) == BODY_FIELDS and e["session_id"] == session["session_id"] for e in events)
    completed = events[-1]
    assert completed["sub_auth_id"] == sub["auth_id"] and completed["overall_status"] == "verified"
    assert set(completed["verifications"].values()) == {"verified"}

    last = receiver.received[-1]
    tampered = json.dumps({**completed, "overall_status": "failed"}).encode()
    assert kyc_signature(tampered, DEV_CARRIER_AUTH_TOKEN) != last.headers["x-vobiz-signature"]
    assert kyc_signature(last.body.encode(), "another-token") != last.headers["x-vobiz-signature"]

    event_id = f"{session['session_id']}:kyc.initiated"
    recorded = attempts_for(sandbox, event_id)
    assert [(a["attempt"], a["status_code"]) for a in recorded] == [(1, 500), (2, 204)]
    assert all(a["url"] == receiver.url and a["type"] == "kyc.initiated" for a in recorded)
    assert all(isinstance(a["duration_ms"], int) and a["duration_ms"] >= 0 for a in recorded)


def test_a_database_from_before_a_new_column_gets_it(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old-sandbox.db'}"
    with sqlite3.connect(tmp_path / "old-sandbox.db") as old:
        old.execute(
            "CREATE TABLE webhook_attempts (id INTEGER PRIMARY KEY, event_id VARCHAR(100), type VARCHAR(40),"
            " url VARCHAR, attempt INTEGER, status_code INTEGER, error VARCHAR, attempted_at DATETIME)"
        )
    engine = open_database(url)
    assert "duration_ms" in {column["name"] for column in inspect(engine).get_columns("webhook_attempts")}
    open_database(url)  # and again: nothing left to add


def test_rejection_expiry_and_revocation_send_their_own_events(
    carrier: httpx.Client, sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    sub = create_customer(carrier)
    rejected = start_session(carrier, sub["auth_id"], webhook_url=receiver.url)
    control(sandbox, rejected["session_id"], "complete", outcome="rejected")
    wait_for(receiver, 3)
    revoked = start_session(carrier, sub["auth_id"], webhook_url=receiver.url)
    replacing = start_session(carrier, sub["auth_id"], webhook_url=receiver.url)
    control(sandbox, replacing["session_id"], "expire")
    wait_for(receiver, 5)

    got = {(e["event"], e["session_id"]) for e in map(verified, receiver.received)}
    assert got == {
        ("kyc.initiated", rejected["session_id"]),
        ("kyc.submitted", rejected["session_id"]),
        ("kyc.failed", rejected["session_id"]),
        ("kyc.session_revoked", revoked["session_id"]),
        ("kyc.session_expired", replacing["session_id"]),
    }


def test_an_unreachable_receiver_does_not_slow_the_completion(
    carrier: httpx.Client, sandbox: Sandbox
) -> None:
    sub = create_customer(carrier)
    session = start_session(carrier, sub["auth_id"], webhook_url="http://192.0.2.1:81/hook")
    started = time.monotonic()
    control(sandbox, session["session_id"], "complete", outcome="rejected")
    assert time.monotonic() - started < 1.0


def test_a_burst_is_delivered_a_bounded_number_at_a_time(
    carrier: httpx.Client, sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    under_way, most = 0, 0
    lock = threading.Lock()
    answer = receiver.answer

    def counted(headers: dict[str, str], body: str) -> int:
        nonlocal under_way, most
        with lock:
            under_way += 1
            most = max(most, under_way)
        try:
            return answer(headers, body)
        finally:
            with lock:
                under_way -= 1

    receiver.answer = counted  # type: ignore[method-assign]
    receiver.open.clear()  # the endpoint holds every request
    burst = MAX_IN_FLIGHT + 20
    # every session first, then the burst: the endpoint holds the first deliveries only briefly, well within
    # the sandbox's delivery timeout (after which it would count them over and send more, while this
    # endpoint's threads still counted them under way)
    sessions = [
        start_session(carrier, create_customer(carrier)["auth_id"], webhook_url=receiver.url)["session_id"]
        for _ in range(burst)
    ]
    for session_id in sessions:
        control(sandbox, session_id, "open")
    deadline = time.monotonic() + 10
    while most < MAX_IN_FLIGHT and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # time for any delivery past the bound to arrive
    assert most == MAX_IN_FLIGHT

    receiver.open.set()
    wait_for(receiver, burst)
    assert most == MAX_IN_FLIGHT


async def test_the_delivery_loop_stops_when_cancelled_as_it_is_woken(tmp_path: Path) -> None:
    """A cancel landing in the same instant as a wake (an attempt finishing as the sandbox stops) ends the
    loop: the sandbox once hung on SIGTERM there."""
    outbox = Outbox(open_database(f"sqlite:///{tmp_path / 'sandbox.db'}"), Settings())
    loop = asyncio.create_task(outbox.run())
    await asyncio.sleep(0.1)  # waiting for a wake

    outbox.wake()
    loop.cancel()
    done, _ = await asyncio.wait([loop], timeout=3)

    assert loop in done and loop.cancelled()
