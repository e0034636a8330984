"""The KYC webhook receiver and its relay: only deliveries signed with the master token (current or previous)
count; each is answered once recorded, without waiting for the provider or Temporal; each (session, event)
is signalled once; a verdict only as the provider confirms it; a revocation never; nothing is lost while
Temporal or the provider is unreachable."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlmodel import Session
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.kyc_relay import HOLD
from config import Settings
from domain.onboarding import KycInfo, KycProgress, KycResult
from store.models import WebhookEvent, as_utc
from store.onboardings import get_state, link_kyc_session, save_state
from tests.api.harness import (
    TOKEN_PREVIOUS,
    RunningApi,
    address_of,
    api_settings,
    kyc_event,
    onboarding_body,
    run_api,
    signalled_events,
    signed_headers,
    start_temporal,
)
from tests.sandbox.conftest import carrier_client, create_customer, start_session
from tests.support.processes import Sandbox, free_port
from worker.client import connect


@pytest.fixture(scope="module")
def api(
    temporal: WorkflowEnvironment, sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningApi]:
    """An API confirming verdicts with the session sandbox; no worker runs its workflows."""
    settings = api_settings(
        tmp_path_factory.mktemp("webhooks"), address_of(temporal), carrier_base_url=f"{sandbox.url}/api/v1"
    )
    with run_api(settings) as running:
        yield running


def quick_retries(data_dir: Path, temporal_address: str, **overrides: str) -> Settings:
    """Settings whose relay tries an unsettled event again within a second."""
    return api_settings(
        data_dir, temporal_address, kyc_relay_retry_s=0.2, kyc_relay_max_retry_s=1, **overrides
    )


@dataclass
class Customer:
    """An onboarding (its workflow started, never run) and its sub-account in the sandbox."""

    onboarding_id: str
    sub_auth_id: str
    sandbox: Sandbox
    api: RunningApi

    def new_session(self) -> str:
        """A hosted session in the sandbox, linked to the onboarding as the activity links it."""
        with carrier_client(self.sandbox) as carrier:
            session_id: str = start_session(carrier, self.sub_auth_id)["session_id"]
        link_kyc_session(self.api.engine, self.onboarding_id, session_id)
        return session_id

    def control(self, session_id: str, action: str, **body: str) -> None:
        """A sandbox test control on the session."""
        url = f"{self.sandbox.url}/_sandbox/kyc-sessions/{session_id}/{action}"
        httpx.post(url, json=body or None).raise_for_status()


async def started_onboarding(api: RunningApi, sub_auth_id: str) -> str:
    """Start an onboarding and record ``sub_auth_id`` in its status document, as the workflow would."""
    async with api.async_client() as client:
        started = await client.post("/v1/onboardings", json=onboarding_body(f"hooks-{uuid.uuid4().hex[:8]}"))
    assert started.status_code == 202, started.text
    onboarding_id: str = started.json()["id"]
    state = get_state(api.engine, onboarding_id)
    assert state is not None
    save_state(
        api.engine, state.model_copy(update={"sub_account_id": sub_auth_id, "updated_at": datetime.now(UTC)})
    )
    return onboarding_id


@pytest.fixture
async def customer(api: RunningApi, sandbox: Sandbox) -> Customer:
    """A fresh customer (sub-account and onboarding) for one test."""
    with carrier_client(sandbox) as carrier:
        sub_auth_id: str = create_customer(carrier)["auth_id"]
    return Customer(await started_onboarding(api, sub_auth_id), sub_auth_id, sandbox, api)


def recorded(api: RunningApi, event_id: str) -> WebhookEvent | None:
    with Session(api.engine) as session:
        return session.get(WebhookEvent, event_id)


async def settled(api: RunningApi, *event_ids: str, within_s: float = 15.0) -> None:
    """Wait until the relay has settled each of ``event_ids`` (signalled, or nothing to signal)."""
    deadline = time.monotonic() + within_s
    while any((row := recorded(api, e)) is None or row.signalled_at is None for e in event_ids):
        assert time.monotonic() < deadline, f"the relay did not settle {event_ids} within {within_s} s"
        await asyncio.sleep(0.05)


async def deliver(api: RunningApi, body: bytes, headers: dict[str, str] | None = None) -> httpx.Response:
    async with api.async_client(key=None) as client:
        return await client.post("/webhooks/kyc", content=body, headers=headers or signed_headers(body))


async def signals_for(client: Client, customer: Customer, session_id: str) -> list[KycResult | KycProgress]:
    return [s for s in await signalled_events(client, customer.onboarding_id) if s.session_id == session_id]


def _forged_cases() -> dict[str, tuple[bytes, dict[str, str]]]:
    body = kyc_event("kyc_sess_forged", "kyc.initiated")
    good = signed_headers(body)["X-Vobiz-Signature"]
    json_type = {"content-type": "application/json"}
    one_byte = body.replace(b"kyc.initiated", b"kyc.initiatee")
    return {
        "unsigned": (body, json_type),
        "unknown token": (body, signed_headers(body, "a-token-nobody-configured")),
        "one byte changed": (one_byte, {**json_type, "X-Vobiz-Signature": good}),
        "no sha256 prefix": (body, {**json_type, "X-Vobiz-Signature": good.removeprefix("sha256=")}),
        "upper-case prefix": (body, {**json_type, "X-Vobiz-Signature": "SHA256=" + good[7:]}),
        "garbage": (body, {**json_type, "X-Vobiz-Signature": "garbage"}),
        "binary body": (b"\xff\xfe\x00", {**json_type, "X-Vobiz-Signature": good}),
    }


@pytest.mark.parametrize("case", list(_forged_cases()))
async def test_forged_deliveries_get_401_and_change_nothing(
    api: RunningApi, temporal_client: Client, customer: Customer, case: str
) -> None:
    link_kyc_session(api.engine, customer.onboarding_id, "kyc_sess_forged")
    body, headers = _forged_cases()[case]
    response = await deliver(api, body, headers)
    assert response.status_code == 401
    assert response.json()["error"]["type"] == "invalid_signature"
    assert recorded(api, "kyc_sess_forged:kyc.initiated") is None
    assert await signals_for(temporal_client, customer, "kyc_sess_forged") == []


async def test_progress_is_signalled_once_under_either_token(
    api: RunningApi, temporal_client: Client, customer: Customer
) -> None:
    session_id = customer.new_session()
    opened, submitted = kyc_event(session_id, "kyc.initiated"), kyc_event(session_id, "kyc.submitted")
    first = await deliver(api, opened)
    replayed = await deliver(api, opened)
    by_previous = await deliver(api, submitted, signed_headers(submitted, TOKEN_PREVIOUS))

    assert (first.status_code, first.json()) == (202, {"status": "accepted"})
    assert (replayed.status_code, replayed.json()) == (200, {"status": "duplicate"})
    assert (by_previous.status_code, by_previous.json()) == (202, {"status": "accepted"})
    await settled(api, f"{session_id}:kyc.initiated", f"{session_id}:kyc.submitted")
    signals = await signals_for(temporal_client, customer, session_id)
    assert [(type(s), s.event_id) for s in signals] == [
        (KycProgress, f"{session_id}:kyc.initiated"),
        (KycProgress, f"{session_id}:kyc.submitted"),
    ]
    documents = [s.documents for s in signals if isinstance(s, KycProgress)]
    assert all(d is not None and set(d) == {"pan", "gst", "cin", "aadhaar"} for d in documents), documents


async def test_progress_shows_in_the_status_document_once_relayed(
    api: RunningApi, customer: Customer
) -> None:
    session_id = customer.new_session()
    stored = get_state(api.engine, customer.onboarding_id)
    assert stored is not None
    waiting = stored.model_copy(
        update={
            "status": "awaiting_kyc",
            "kyc": KycInfo(session_id=session_id, status="pending", flow="email"),
            "updated_at": datetime.now(UTC),
        }
    )
    save_state(api.engine, waiting)  # the workflow's mirror: no worker runs, so nothing else moves it

    async def shown() -> tuple[str | None, str | None]:
        async with api.async_client() as client:
            document = (await client.get(f"/v1/onboardings/{customer.onboarding_id}")).json()
        return document["kyc"]["progress"], document["next_action"]["details"]["progress"]

    assert await shown() == (None, None)
    assert (await deliver(api, kyc_event(session_id, "kyc.initiated"))).status_code == 202
    await settled(api, f"{session_id}:kyc.initiated")
    assert await shown() == ("kyc.initiated", "kyc.initiated")
    assert (await deliver(api, kyc_event(session_id, "kyc.submitted"))).status_code == 202
    await settled(api, f"{session_id}:kyc.submitted")
    assert await shown() == ("kyc.submitted", "kyc.submitted")


async def test_an_approval_is_answered_at_once_and_signalled_only_once_the_provider_confirms_it(
    temporal: WorkflowEnvironment, sandbox: Sandbox, tmp_path: Path
) -> None:
    settings = quick_retries(tmp_path, address_of(temporal), carrier_base_url=f"{sandbox.url}/api/v1")
    with run_api(settings) as api:
        with carrier_client(sandbox) as carrier:
            sub_auth_id: str = create_customer(carrier)["auth_id"]
        customer = Customer(await started_onboarding(api, sub_auth_id), sub_auth_id, sandbox, api)
        client = await connect(api.settings)
        session_id = customer.new_session()
        approval = kyc_event(session_id, "kyc.completed")
        early = await deliver(api, approval)  # the provider has not decided yet: the relay asks again
        assert (early.status_code, early.json()) == (202, {"status": "accepted"})
        await asyncio.sleep(1.5)
        row = recorded(api, f"{session_id}:kyc.completed")
        assert row is not None and row.signalled_at is None and row.attempts >= 2
        assert await signals_for(client, customer, session_id) == []

        customer.control(session_id, "complete", outcome="approved")
        await settled(api, f"{session_id}:kyc.completed")
        replayed = await deliver(api, approval)
        contradicted = await deliver(api, kyc_event(session_id, "kyc.failed", "failed"))
        await settled(api, f"{session_id}:kyc.failed")

        assert (replayed.status_code, replayed.json()) == (200, {"status": "duplicate"})
        assert (contradicted.status_code, contradicted.json()) == (202, {"status": "accepted"})
        [signal] = await signals_for(client, customer, session_id)
        assert isinstance(signal, KycResult)
        assert (signal.event_id, signal.outcome) == (f"{session_id}:kyc.completed", "approved")


async def test_rejection_and_expiry_are_signalled_as_confirmed_and_a_revocation_never(
    api: RunningApi, temporal_client: Client, customer: Customer
) -> None:
    rejected = customer.new_session()
    customer.control(rejected, "complete", outcome="rejected")
    failed = await deliver(api, kyc_event(rejected, "kyc.failed", "failed"))
    revoked = customer.new_session()
    expired = customer.new_session()
    customer.control(expired, "expire")
    revocation = kyc_event(revoked, "kyc.session_revoked", "pending")
    deliveries = [revocation, kyc_event(expired, "kyc.session_expired", "not_started"), revocation]

    statuses = [
        (r.status_code, r.json()["status"]) for r in [failed] + [await deliver(api, b) for b in deliveries]
    ]
    assert statuses == [(202, "accepted"), (200, "ignored"), (202, "accepted"), (200, "duplicate")]
    await settled(api, f"{rejected}:kyc.failed", f"{expired}:kyc.session_expired")
    outcomes = [
        (s.session_id, s.outcome)
        for s in await signalled_events(temporal_client, customer.onboarding_id)
        if isinstance(s, KycResult)
    ]
    assert outcomes == [(rejected, "rejected"), (expired, "expired")]


async def test_only_the_event_and_session_are_read_and_unknown_events_are_acknowledged(
    api: RunningApi, temporal_client: Client, customer: Customer
) -> None:
    session_id = customer.new_session()
    customer.control(session_id, "open")
    other_shape = json.dumps(
        {"event": "kyc.initiated", "session_id": session_id, "verifications": ["pan"], "occurred_at": 1}
    ).encode()
    unknown = json.dumps({"event": "kyc.document_uploaded", "session_id": session_id}).encode()

    opened, later = await deliver(api, other_shape), await deliver(api, unknown)

    assert (opened.status_code, opened.json()) == (202, {"status": "accepted"})
    assert (later.status_code, later.json()) == (200, {"status": "ignored"})
    await settled(api, f"{session_id}:kyc.initiated")
    signals = await signals_for(temporal_client, customer, session_id)
    assert [(type(s), s.event_id) for s in signals] == [(KycProgress, f"{session_id}:kyc.initiated")]


async def test_a_late_verdict_for_a_session_replaced_by_a_restart_is_ignored(
    api: RunningApi, temporal_client: Client, customer: Customer
) -> None:
    first = customer.new_session()
    customer.control(first, "complete", outcome="rejected")
    customer.new_session()  # the restart: the account's KYC status is the new session's now

    late = await deliver(api, kyc_event(first, "kyc.failed", "failed"))

    assert (late.status_code, late.json()) == (200, {"status": "ignored"})
    assert await signals_for(temporal_client, customer, first) == []


async def test_unknown_sessions_get_404_and_are_not_recorded(api: RunningApi) -> None:
    response = await deliver(api, kyc_event("kyc_sess_nobody_started"))
    assert response.status_code == 404
    assert recorded(api, "kyc_sess_nobody_started:kyc.completed") is None


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'{"session_id": "kyc_x"}', b'{"event": "kyc.completed"}', b"[]"],
    ids=["malformed", "no event", "no session", "list"],
)
async def test_signed_but_invalid_bodies_get_422(api: RunningApi, body: bytes) -> None:
    response = await deliver(api, body)
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "invalid_request" and response.json()["error"]["fields"]


async def test_huge_webhooks_get_413(api: RunningApi) -> None:
    body = b"x" * (api.settings.max_body_bytes + 1)
    assert (await deliver(api, body)).status_code == 413


async def test_a_verdict_the_provider_cannot_confirm_is_accepted_and_kept_for_the_relay(
    temporal: WorkflowEnvironment, tmp_path: Path
) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/api/v1"
    settings = quick_retries(tmp_path, address_of(temporal), carrier_base_url=nowhere)
    with run_api(settings) as api:
        onboarding_id = await started_onboarding(api, "SA_UNREACHABLE")
        link_kyc_session(api.engine, onboarding_id, "kyc_sess_unreachable")
        response = await deliver(api, kyc_event("kyc_sess_unreachable"))
        assert (response.status_code, response.json()) == (202, {"status": "accepted"})
        await asyncio.sleep(1.5)
        kept = recorded(api, "kyc_sess_unreachable:kyc.completed")
        assert kept is not None and kept.signalled_at is None and kept.attempts >= 2


async def test_a_webhook_while_temporal_is_down_is_accepted_and_signalled_once_it_is_back(
    tmp_path: Path,
) -> None:
    port = free_port()
    with run_api(quick_retries(tmp_path, f"127.0.0.1:{port}")) as api:
        env = await start_temporal(port, tmp_path / "temporal.db")
        try:
            async with api.async_client() as client:
                started = await client.post("/v1/onboardings", json=onboarding_body("webhook-down"))
            assert started.status_code == 202, started.text
            onboarding_id = started.json()["id"]
            link_kyc_session(api.engine, onboarding_id, "kyc_sess_down")
        finally:
            await env.shutdown()

        body = kyc_event("kyc_sess_down", "kyc.initiated")
        down = await deliver(api, body)
        assert (down.status_code, down.json()) == (202, {"status": "accepted"})
        await asyncio.sleep(1.5)
        kept = recorded(api, "kyc_sess_down:kyc.initiated")
        assert kept is not None and kept.signalled_at is None

        env = await start_temporal(port, tmp_path / "temporal.db")
        try:
            await settled(api, "kyc_sess_down:kyc.initiated")
            assert (await deliver(api, body)).json() == {"status": "duplicate"}
            signals = await signalled_events(await connect(api.settings), onboarding_id)
            assert [s.event_id for s in signals] == ["kyc_sess_down:kyc.initiated"]
        finally:
            await env.shutdown()


async def test_an_event_left_unrelayed_by_a_stopped_process_is_relayed_by_the_sweep(
    api: RunningApi, temporal_client: Client, customer: Customer
) -> None:
    session_id = customer.new_session()
    event_id = f"{session_id}:kyc.initiated"
    received = datetime.now(UTC) - timedelta(minutes=5)
    # recorded and claimed by an API process that stopped before its relay got to it; its claim ran out
    orphan = WebhookEvent(
        id=event_id,
        type="kyc.initiated",
        session_id=session_id,
        onboarding_id=customer.onboarding_id,
        received_at=received,
        attempts=1,
        due_at=received + HOLD,
    )
    with Session(api.engine) as session:
        session.add(orphan)
        session.commit()

    await settled(api, event_id)
    signals = await signals_for(temporal_client, customer, session_id)
    assert [(type(s), s.event_id) for s in signals] == [(KycProgress, event_id)]
    assert (await deliver(api, kyc_event(session_id, "kyc.initiated"))).json() == {"status": "duplicate"}


async def test_a_stopping_api_releases_the_events_it_was_relaying(
    temporal: WorkflowEnvironment, tmp_path: Path
) -> None:
    with socket.socket() as silent:  # a provider that takes the connection and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        provider = f"http://127.0.0.1:{silent.getsockname()[1]}/api/v1"
        settings = api_settings(tmp_path, address_of(temporal), carrier_base_url=provider)
        with run_api(settings) as api:
            onboarding_id = await started_onboarding(api, "SA_SILENT")
            link_kyc_session(api.engine, onboarding_id, "kyc_sess_silent")
            assert (await deliver(api, kyc_event("kyc_sess_silent"))).status_code == 202
            await asyncio.sleep(0.5)
            held = recorded(api, "kyc_sess_silent:kyc.completed")
            assert held is not None and held.due_at is not None
            assert as_utc(held.due_at) > datetime.now(UTC) + HOLD / 2, "claimed while it is relayed"

        released = recorded(api, "kyc_sess_silent:kyc.completed")
        assert released is not None and released.signalled_at is None and released.due_at is not None
        assert as_utc(released.due_at) <= datetime.now(UTC), "due at once for the next process"
