"""Hosted KYC sessions: both flows, the page a customer clicks, progress, one active session, expiry, the
unblock delay."""

from __future__ import annotations

import re
import time
from typing import Any

import httpx

from tests.sandbox.conftest import (
    MASTER,
    SUBS,
    TUNED_UNBLOCK_DELAY_S,
    carrier_client,
    create_customer,
    start_session,
    unique,
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


def control(sandbox: Sandbox, session_id: str, action: str, **body: str) -> httpx.Response:
    """A ``/_sandbox/kyc-sessions/{id}/{action}`` test control."""
    return httpx.post(f"{sandbox.url}/_sandbox/kyc-sessions/{session_id}/{action}", json=body or None)


def read(carrier: httpx.Client, sub_id: str, session_id: str) -> dict[str, Any]:
    """The session as its GET answers it."""
    response = carrier.get(f"/sub-accounts/{sub_id}/kyc-sessions/{session_id}")
    assert response.status_code == 200, response.text
    session: dict[str, Any] = response.json()
    return session


def test_redirect_flow_hands_out_the_page_and_its_approve_button_verifies(
    carrier: httpx.Client, sandbox: Sandbox
) -> None:
    sub = create_customer(carrier)
    session = start_session(carrier, sub["auth_id"])
    assert set(session) == {"session_id", "status", "widget_url", "expires_at"}
    assert session["status"] == "link_ready" and session["widget_url"].startswith(f"{sandbox.url}/kyc/")

    pressed = press(session["widget_url"], "approved")
    assert pressed.status_code == 200 and "approved" in pressed.text

    got = read(carrier, sub["auth_id"], session["session_id"])
    assert got["id"] == session["session_id"] and "session_id" not in got
    assert (got["status"], got["account_auth_id"]) == ("kyc_completed", MASTER)
    assert carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()["overall_status"] == "verified"
    again = httpx.post(session["widget_url"], data={"outcome": "rejected"})
    assert again.status_code == 409
    assert "<form" not in httpx.get(session["widget_url"]).text


def test_email_flow_sends_the_link_by_email_only(carrier: httpx.Client, sandbox: Sandbox) -> None:
    sub = create_customer(carrier)
    session = start_session(
        carrier, sub["auth_id"], flow_type="email", customer_email="owner@acme.example", redirect_url=None
    )
    assert session["status"] == "email_sent" and "widget_url" not in session
    email = httpx.get(f"{sandbox.url}/_sandbox/kyc-sessions/{session['session_id']}/email").json()
    assert email["to"] == "owner@acme.example" and email["link"].startswith(f"{sandbox.url}/kyc/")

    assert httpx.get(email["link"]).status_code == 200
    assert read(carrier, sub["auth_id"], session["session_id"])["status"] == "opened"
    redirect = start_session(carrier, sub["auth_id"])
    no_email = httpx.get(f"{sandbox.url}/_sandbox/kyc-sessions/{redirect['session_id']}/email")
    assert no_email.status_code == 404


def test_progress_controls_move_the_session_on(carrier: httpx.Client, sandbox: Sandbox) -> None:
    sub = create_customer(carrier)
    session = start_session(carrier, sub["auth_id"])
    opened = control(sandbox, session["session_id"], "open")
    assert opened.status_code == 200 and opened.json()["status"] == "opened"
    assert opened.json()["link"] == session["widget_url"]
    assert control(sandbox, session["session_id"], "open").json()["status"] == "opened"
    assert control(sandbox, session["session_id"], "submit").json()["status"] == "in_progress"
    assert read(carrier, sub["auth_id"], session["session_id"])["status"] == "in_progress"
    rejected = control(sandbox, session["session_id"], "complete", outcome="rejected")
    assert rejected.json()["status"] == "kyc_completed"
    assert control(sandbox, session["session_id"], "submit").status_code == 409


def test_reject_fails_kyc_and_a_new_session_revokes_the_active_one(
    carrier: httpx.Client, sandbox: Sandbox
) -> None:
    sub = create_customer(carrier)
    first = start_session(carrier, sub["auth_id"])
    assert press(first["widget_url"], "rejected").status_code == 200
    status = carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()
    assert status == {
        "overall_status": "failed",
        "kyc_calls_blocked": True,
        "verifications": {"pan": "failed", "gst": "failed", "cin": "failed", "aadhaar": "failed"},
    }

    second = start_session(carrier, sub["auth_id"])
    third = start_session(carrier, sub["auth_id"])
    assert read(carrier, sub["auth_id"], first["session_id"])["status"] == "kyc_completed"
    assert read(carrier, sub["auth_id"], second["session_id"])["status"] == "revoked"
    assert control(sandbox, second["session_id"], "complete", outcome="approved").status_code == 409
    assert control(sandbox, third["session_id"], "complete", outcome="approved").status_code == 200
    assert control(sandbox, third["session_id"], "complete", outcome="approved").status_code == 409
    assert start_session_refused(carrier, sub["auth_id"]) == 409


def start_session_refused(carrier: httpx.Client, sub_id: str) -> int:
    body = {"account_auth_id": MASTER, "customer_email": "a@example.com"}
    return carrier.post(f"/sub-accounts/{sub_id}/kyc-sessions", json=body).status_code


def test_personal_use_needs_no_kyc_session(carrier: httpx.Client) -> None:
    sub = carrier.post(SUBS, json={"name": unique("personal")}).json()["sub_account"]
    assert sub["kyc_calls_blocked"] is False
    assert start_session_refused(carrier, sub["auth_id"]) == 409


def test_expired_session_cannot_be_completed(carrier: httpx.Client, sandbox: Sandbox) -> None:
    sub = create_customer(carrier)
    session = start_session(carrier, sub["auth_id"])
    expired = control(sandbox, session["session_id"], "expire")
    assert expired.status_code == 200 and expired.json()["status"] == "expired"
    assert httpx.post(session["widget_url"], data={"outcome": "approved"}).status_code == 409
    status = carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()
    assert status["overall_status"] == "not_started" and status["kyc_calls_blocked"] is True


def test_session_validation_and_unknowns(carrier: httpx.Client, sandbox: Sandbox) -> None:
    sub = create_customer(carrier)
    path = f"/sub-accounts/{sub['auth_id']}/kyc-sessions"
    email_flow = {"account_auth_id": MASTER, "webhook_url": "http://127.0.0.1:9/h"}
    refused = carrier.post(path, json=email_flow)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "customer_email"
    redirect_flow = {"account_auth_id": MASTER, "flow_type": "redirect"}
    assert carrier.post(path, json=redirect_flow).json()["error"]["field"] == "redirect_url"
    too_long = {"account_auth_id": MASTER, "customer_email": "a@example.com", "expires_in_days": 365}
    assert carrier.post(path, json=too_long).json()["error"]["field"] == "expires_in_days"
    someone_else = {"account_auth_id": "MA_SOMEONE", "customer_email": "a@example.com"}
    assert carrier.post(path, json=someone_else).json()["error"]["field"] == "account_auth_id"
    assert carrier.get("/sub-accounts/SA_NOPE/kyc/status").status_code == 404
    assert carrier.get(f"{path}/kyc_nope").status_code == 404
    assert httpx.get(f"{sandbox.url}/kyc/not-a-token").status_code == 404
    assert control(sandbox, "kyc_nope", "expire").status_code == 404


def test_calls_unblock_only_after_the_configured_delay(tuned_sandbox: Sandbox) -> None:
    with carrier_client(tuned_sandbox) as carrier:
        sub = create_customer(carrier)
        session = start_session(carrier, sub["auth_id"])
        control(tuned_sandbox, session["session_id"], "complete", outcome="approved").raise_for_status()
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
