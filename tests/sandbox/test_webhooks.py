"""KYC webhooks: signed per Standard Webhooks, stable ids, retried until a 2xx, every attempt recorded."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from config import DEV_WEBHOOK_SECRET
from tests.sandbox.conftest import create_customer, start_session
from tests.support.processes import Sandbox
from tests.support.receiver import WebhookReceiver


def wait_for(receiver: WebhookReceiver, count: int, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while len(receiver.received) < count:
        assert time.monotonic() < deadline, f"only {len(receiver.received)} of {count} webhooks arrived"
        time.sleep(0.05)


def attempts_for(sandbox: Sandbox, event_id: str) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = httpx.get(f"{sandbox.url}/_sandbox/webhooks").json()
    return [attempt for attempt in listed if attempt["event_id"] == event_id]


def test_completion_webhook_is_signed_and_retried_after_a_500(
    carrier: httpx.Client, sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    receiver.statuses = [500]
    sub = create_customer(carrier)
    session = start_session(carrier, sub["auth_id"], webhook_url=receiver.url)
    complete = f"{sandbox.url}/_sandbox/kyc-sessions/{session['session_id']}/complete"
    assert httpx.post(complete, json={"outcome": "approved"}).status_code == 200

    wait_for(receiver, 2)
    first, second = receiver.received
    verifier = Webhook(DEV_WEBHOOK_SECRET)
    event = verifier.verify(second.body, second.headers)
    assert event["type"] == "kyc.session.completed"
    assert event["data"]["session_id"] == session["session_id"]
    assert event["data"]["sub_auth_id"] == sub["auth_id"]
    assert event["data"]["overall_status"] == "verified"
    assert set(event["data"]["verifications"].values()) == {"verified"}
    assert verifier.verify(first.body, first.headers) == event
    event_id = first.headers["webhook-id"]
    assert second.headers["webhook-id"] == event_id

    tampered = json.dumps({**event, "data": {**event["data"], "overall_status": "failed"}})
    with pytest.raises(WebhookVerificationError):
        verifier.verify(tampered, second.headers)

    deadline = time.monotonic() + 5
    while len(attempts_for(sandbox, event_id)) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    recorded = attempts_for(sandbox, event_id)
    assert [(a["attempt"], a["status_code"]) for a in recorded] == [(1, 500), (2, 204)]
    assert all(a["url"] == receiver.url and a["type"] == "kyc.session.completed" for a in recorded)


def test_expiry_sends_its_own_event(
    carrier: httpx.Client, sandbox: Sandbox, receiver: WebhookReceiver
) -> None:
    sub = create_customer(carrier)
    session = start_session(carrier, sub["auth_id"], webhook_url=receiver.url)
    httpx.post(f"{sandbox.url}/_sandbox/kyc-sessions/{session['session_id']}/expire").raise_for_status()
    wait_for(receiver, 1)
    event = Webhook(DEV_WEBHOOK_SECRET).verify(receiver.received[0].body, receiver.received[0].headers)
    assert event["type"] == "kyc.session.expired" and event["data"]["session_id"] == session["session_id"]


def test_an_unreachable_receiver_does_not_slow_the_completion(
    carrier: httpx.Client, sandbox: Sandbox
) -> None:
    sub = create_customer(carrier)
    session = start_session(carrier, sub["auth_id"], webhook_url="http://192.0.2.1:81/hook")
    started = time.monotonic()
    complete = f"{sandbox.url}/_sandbox/kyc-sessions/{session['session_id']}/complete"
    assert httpx.post(complete, json={"outcome": "rejected"}).status_code == 200
    assert time.monotonic() - started < 1.0
