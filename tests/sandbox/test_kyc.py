"""Hosted KYC sessions: the page a customer clicks, final outcomes, expiry, the unblock delay."""

from __future__ import annotations

import re
import time

import httpx

from tests.sandbox.conftest import (
    MASTER,
    TUNED_UNBLOCK_DELAY_S,
    carrier_client,
    create_customer,
    start_session,
)
from tests.support.processes import Sandbox


def press(widget_url: str, outcome: str) -> httpx.Response:
    """Open the hosted page and submit its form with the ``outcome`` button, as a browser would."""
    page = httpx.get(widget_url)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"]
    form = re.search(r'<form[^>]*method="post"[^>]*action="([^"]+)"', page.text)
    assert form is not None
    assert f'name="outcome" value="{outcome}"' in page.text
    return httpx.post(httpx.URL(widget_url).join(form.group(1)), data={"outcome": outcome})


def test_approve_button_on_hosted_page_verifies_the_sub_account(
    carrier: httpx.Client, sandbox: Sandbox
) -> None:
    sub = create_customer(carrier)
    session = start_session(carrier, sub["auth_id"])
    assert session["status"] == "pending" and session["widget_url"].startswith(f"{sandbox.url}/kyc/")

    pressed = press(session["widget_url"], "approved")
    assert pressed.status_code == 200 and "approved" in pressed.text

    read = carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc-sessions/{session['session_id']}").json()
    assert read["status"] == "approved"
    assert carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()["overall_status"] == "verified"
    again = httpx.post(session["widget_url"], data={"outcome": "rejected"})
    assert again.status_code == 409
    assert "<form" not in httpx.get(session["widget_url"]).text


def test_reject_fails_kyc_and_a_new_session_can_follow(carrier: httpx.Client, sandbox: Sandbox) -> None:
    sub = create_customer(carrier)
    first = start_session(carrier, sub["auth_id"])
    assert press(first["widget_url"], "rejected").status_code == 200
    status = carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()
    assert status["overall_status"] == "failed" and status["kyc_calls_blocked"] is True

    second = start_session(carrier, sub["auth_id"])
    third = start_session(carrier, sub["auth_id"])
    superseded = carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc-sessions/{second['session_id']}").json()
    assert superseded["status"] == "expired"
    complete = f"{sandbox.url}/_sandbox/kyc-sessions/{third['session_id']}/complete"
    assert httpx.post(complete, json={"outcome": "approved"}).status_code == 200
    assert httpx.post(complete, json={"outcome": "approved"}).status_code == 409
    assert start_session_refused(carrier, sub["auth_id"]) == 409


def start_session_refused(carrier: httpx.Client, sub_id: str) -> int:
    body = {"account_auth_id": MASTER, "webhook_url": "http://127.0.0.1:9/hook"}
    return carrier.post(f"/sub-accounts/{sub_id}/kyc-sessions", json=body).status_code


def test_expired_session_cannot_be_completed(carrier: httpx.Client, sandbox: Sandbox) -> None:
    sub = create_customer(carrier)
    session = start_session(carrier, sub["auth_id"])
    expired = httpx.post(f"{sandbox.url}/_sandbox/kyc-sessions/{session['session_id']}/expire")
    assert expired.status_code == 200 and expired.json()["status"] == "expired"
    assert httpx.post(session["widget_url"], data={"outcome": "approved"}).status_code == 409
    status = carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()
    assert status["overall_status"] == "not_started" and status["kyc_calls_blocked"] is True


def test_session_validation_and_unknowns(carrier: httpx.Client, sandbox: Sandbox) -> None:
    sub = create_customer(carrier)
    email_flow = {"account_auth_id": MASTER, "flow_type": "email", "webhook_url": "http://127.0.0.1:9/h"}
    refused = carrier.post(f"/sub-accounts/{sub['auth_id']}/kyc-sessions", json=email_flow)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "customer_email"
    too_long = {"account_auth_id": MASTER, "webhook_url": "http://127.0.0.1:9/h", "expires_in_days": 365}
    refused = carrier.post(f"/sub-accounts/{sub['auth_id']}/kyc-sessions", json=too_long)
    assert refused.json()["error"]["field"] == "expires_in_days"
    assert carrier.get("/sub-accounts/SA_NOPE/kyc/status").status_code == 404
    assert httpx.get(f"{sandbox.url}/kyc/not-a-token").status_code == 404
    assert httpx.post(f"{sandbox.url}/_sandbox/kyc-sessions/kyc_nope/expire").status_code == 404


def test_calls_unblock_only_after_the_configured_delay(tuned_sandbox: Sandbox) -> None:
    with carrier_client(tuned_sandbox) as carrier:
        sub = create_customer(carrier)
        session = start_session(carrier, sub["auth_id"])
        complete = f"{tuned_sandbox.url}/_sandbox/kyc-sessions/{session['session_id']}/complete"
        httpx.post(complete, json={"outcome": "approved"}).raise_for_status()
        approved_at = time.monotonic()
        status = carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()
        assert status["overall_status"] == "verified" and status["kyc_calls_blocked"] is True

        while carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()["kyc_calls_blocked"]:
            assert time.monotonic() - approved_at < TUNED_UNBLOCK_DELAY_S + 5
            time.sleep(0.1)
        assert time.monotonic() - approved_at >= TUNED_UNBLOCK_DELAY_S - 0.2
        assert (
            carrier.get(f"/accounts/{MASTER}/sub-accounts/{sub['auth_id']}").json()["kyc_calls_blocked"]
            is False
        )
