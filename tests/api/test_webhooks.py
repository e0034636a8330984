"""The KYC webhook receiver: only correctly signed, fresh deliveries count; each event is signalled once;
nothing is lost while Temporal is unreachable."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import Session
from temporalio.client import Client

from store.models import WebhookEvent
from store.onboardings import link_kyc_session
from tests.api.harness import (
    SECRET_A,
    SECRET_B,
    RunningApi,
    api_settings,
    kyc_event,
    onboarding_body,
    run_api,
    signalled_events,
    signed_headers,
    start_temporal,
)
from tests.support.processes import free_port
from worker.client import connect

SESSION = "kyc_sess_webhooks"
OTHER_SECRET = "whsec_" + "c2VjcmV0LW5vYm9keS1jb25maWd1cmVkLTMyYnl0ZXM="


@pytest.fixture(scope="module")
async def onboarding(api: RunningApi) -> AsyncIterator[str]:
    """An onboarding whose workflow is running and which started hosted session ``SESSION``."""
    async with api.async_client() as client:
        started = await client.post("/v1/onboardings", json=onboarding_body("webhooks-1"))
    assert started.status_code == 202, started.text
    onboarding_id: str = started.json()["id"]
    link_kyc_session(api.engine, onboarding_id, SESSION)
    yield onboarding_id


def _recorded(api: RunningApi, event_id: str) -> WebhookEvent | None:
    with Session(api.engine) as session:
        return session.get(WebhookEvent, event_id)


def _tampered() -> dict[str, str]:
    headers = signed_headers(kyc_event(SESSION, "failed"), SECRET_A, msg_id="msg_bad_tampered")
    return headers


def _bad_cases() -> list[tuple[str, bytes, dict[str, str]]]:
    body = kyc_event(SESSION)
    now = datetime.now(UTC)
    cases = [
        ("unsigned", body, {"content-type": "application/json", "webhook-id": "msg_bad_unsigned"}),
        ("unknown secret", body, signed_headers(body, OTHER_SECRET, msg_id="msg_bad_secret")),
        ("tampered body", body, _tampered()),
        (
            "stale",
            body,
            signed_headers(body, SECRET_A, msg_id="msg_bad_stale", at=now - timedelta(minutes=6)),
        ),
        (
            "future",
            body,
            signed_headers(body, SECRET_A, msg_id="msg_bad_future", at=now + timedelta(minutes=6)),
        ),
    ]
    garbage = {**signed_headers(body, SECRET_A, msg_id="msg_bad_garbage"), "webhook-signature": "garbage"}
    not_base64 = {**signed_headers(body, SECRET_A, msg_id="msg_bad_b64"), "webhook-signature": "v1,@@@"}
    no_timestamp = signed_headers(body, SECRET_A, msg_id="msg_bad_no_ts")
    del no_timestamp["webhook-timestamp"]
    binary = b"\xff\xfe\x00"
    cases += [
        ("garbage signature", body, garbage),
        ("signature not base64", body, not_base64),
        ("no timestamp", body, no_timestamp),
        ("binary body", binary, {**signed_headers(b"x", SECRET_A, msg_id="msg_bad_binary")}),
    ]
    return cases


@pytest.mark.parametrize("case", [name for name, _, _ in _bad_cases()])
async def test_badly_signed_deliveries_get_401_and_change_nothing(
    api: RunningApi, temporal_client: Client, onboarding: str, case: str
) -> None:
    # built now, not at collection: a timestamp 6 minutes ahead must still be 6 minutes ahead when sent
    [(body, headers)] = [(b, h) for name, b, h in _bad_cases() if name == case]
    async with api.async_client(key=None) as client:
        response = await client.post("/webhooks/kyc", content=body, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_signature"
    assert _recorded(api, headers["webhook-id"]) is None
    assert headers["webhook-id"] not in [
        s.event_id for s in await signalled_events(temporal_client, onboarding)
    ]


async def test_both_rotated_secrets_verify_and_a_redelivery_signals_nothing_new(
    api: RunningApi, temporal_client: Client, onboarding: str
) -> None:
    rejected, approved = kyc_event(SESSION, "failed"), kyc_event(SESSION, "verified")
    first = signed_headers(rejected, SECRET_A, msg_id="msg_rotation_a")
    second = signed_headers(approved, SECRET_B, msg_id="msg_rotation_b")
    async with api.async_client(key=None) as client:
        by_a = await client.post("/webhooks/kyc", content=rejected, headers=first)
        by_b = await client.post("/webhooks/kyc", content=approved, headers=second)
        redelivered = await client.post("/webhooks/kyc", content=approved, headers=second)

    assert (by_a.status_code, by_a.json()) == (202, {"status": "accepted"})
    assert (by_b.status_code, by_b.json()) == (202, {"status": "accepted"})
    assert (redelivered.status_code, redelivered.json()) == (200, {"status": "duplicate"})
    signals = await signalled_events(temporal_client, onboarding)
    assert [(s.event_id, s.outcome, s.session_id) for s in signals] == [
        ("msg_rotation_a", "rejected", SESSION),
        ("msg_rotation_b", "approved", SESSION),
    ]


async def test_unknown_sessions_get_404_and_are_not_recorded(api: RunningApi) -> None:
    body = kyc_event("kyc_sess_nobody_started")
    headers = signed_headers(body, SECRET_A, msg_id="msg_unknown_session")
    async with api.async_client(key=None) as client:
        response = await client.post("/webhooks/kyc", content=body, headers=headers)
    assert response.status_code == 404
    assert _recorded(api, "msg_unknown_session") is None


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"type": "kyc.session.completed"}', b'{"type": "party", "data": {}}', b"[]"],
    ids=["malformed", "no data", "unknown type", "list"],
)
async def test_signed_but_invalid_bodies_get_422(api: RunningApi, body: bytes) -> None:
    headers = signed_headers(body, SECRET_A)
    async with api.async_client(key=None) as client:
        response = await client.post("/webhooks/kyc", content=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "invalid_request" and response.json()["error"]["fields"]
    assert _recorded(api, headers["webhook-id"]) is None


async def test_a_verdict_still_pending_is_ignored(api: RunningApi, onboarding: str) -> None:
    body = kyc_event(SESSION, "pending")
    async with api.async_client(key=None) as client:
        response = await client.post("/webhooks/kyc", content=body, headers=signed_headers(body, SECRET_A))
    assert (response.status_code, response.json()) == (200, {"status": "ignored"})


async def test_huge_webhooks_get_413(api: RunningApi) -> None:
    body = b"x" * (api.settings.max_body_bytes + 1)
    async with api.async_client(key=None) as client:
        response = await client.post("/webhooks/kyc", content=body, headers=signed_headers(body, SECRET_A))
    assert response.status_code == 413


async def test_a_webhook_while_temporal_is_down_gets_503_and_its_redelivery_is_signalled(
    tmp_path: Path,
) -> None:
    port = free_port()
    with run_api(api_settings(tmp_path, f"127.0.0.1:{port}")) as api:
        env = await start_temporal(port)
        try:
            async with api.async_client() as client:
                started = await client.post("/v1/onboardings", json=onboarding_body("webhook-down"))
            assert started.status_code == 202, started.text
            onboarding_id = started.json()["id"]
            link_kyc_session(api.engine, onboarding_id, "kyc_sess_down")
        finally:
            await env.shutdown()

        body = kyc_event("kyc_sess_down")
        headers = signed_headers(body, SECRET_A, msg_id="msg_while_down")
        async with api.async_client(key=None) as client:
            down = await client.post("/webhooks/kyc", content=body, headers=headers)
            assert down.status_code == 503 and down.json()["error"]["type"] == "unavailable"
            kept = _recorded(api, "msg_while_down")
            assert kept is not None and kept.signalled_at is None

            env = await start_temporal(port)
            try:
                # the dev server keeps state in memory: recreate the workflow the restart lost
                async with api.async_client() as authed:
                    assert (
                        await authed.post("/v1/onboardings", json=onboarding_body("webhook-down"))
                    ).status_code == 200
                redelivered = await client.post("/webhooks/kyc", content=body, headers=headers)
                assert (redelivered.status_code, redelivered.json()) == (202, {"status": "accepted"})
                signals = await signalled_events(await connect(api.settings), onboarding_id)
                assert [s.event_id for s in signals] == ["msg_while_down"]
                recorded = _recorded(api, "msg_while_down")
                assert recorded is not None and recorded.signalled_at is not None
            finally:
                await env.shutdown()
