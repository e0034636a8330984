"""Golden exchanges of the hosted-KYC wire, built from the vendor's notes (each file names its sources and
what is ours): our client sends exactly those requests and parses those answers, the sandbox answers in
those shapes and sends webhooks in that shape, and the receiver accepts the golden signature only."""

from __future__ import annotations

import json
import re
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from api.webhooks import verified
from config import DEV_CARRIER_AUTH_TOKEN
from providers.carrier import CarrierClient
from providers.kyc_models import KycSessionCreate, KycWebhook
from tests.sandbox.conftest import MASTER, carrier_client, create_customer
from tests.support.processes import Sandbox
from tests.support.receiver import run_receiver

HERE = Path(__file__).parent
BASE_URL = "https://api.vobiz.ai/api/v1"
SIGNATURE = re.compile(r"^sha256=[0-9a-f]{64}$")


def golden(name: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads((HERE / name).read_text())
    return found


@asynccontextmanager
async def client_answering(
    *exchanges: dict[str, Any],
) -> AsyncIterator[tuple[CarrierClient, list[httpx.Request]]]:
    """A carrier client whose transport answers each golden request with its golden response."""
    answers = {(e["request"]["method"], e["request"]["path"]): e["response"] for e in exchanges}
    sent: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        response = answers[(request.method, request.url.path)]
        return httpx.Response(response["status"], json=response["body"])

    headers = exchanges[0]["request"]["headers"]
    async with httpx.AsyncClient(transport=httpx.MockTransport(answer)) as http:
        token = SecretStr(headers["X-Auth-Token"])
        yield CarrierClient(http, base_url=BASE_URL, auth_id=headers["X-Auth-ID"], auth_token=token), sent


def assert_sent(request: httpx.Request, exchange: dict[str, Any]) -> None:
    wanted = exchange["request"]
    assert (request.method, str(request.url)) == (wanted["method"], f"https://api.vobiz.ai{wanted['path']}")
    for name, value in wanted["headers"].items():
        assert request.headers[name] == value
    assert (json.loads(request.content) if request.content else None) == wanted["body"]


async def test_the_client_creates_an_email_session_as_documented() -> None:
    exchange = golden("session_create_email.json")
    body = KycSessionCreate(
        account_auth_id="MA_XXXXXXXX",
        customer_email="o@acme.com",
        webhook_url="https://reseller.example/webhooks/kyc",
    )
    async with client_answering(exchange) as (carrier, sent):
        created = await carrier.start_kyc_session("SA_XXXXXXXX", body)
    [request] = sent
    assert_sent(request, exchange)
    assert (created.session_id, created.status, created.widget_url) == (
        "kyc_3f9a1c0d2b7e4a6f8c5d9e01",
        "email_sent",
        None,
    )
    assert created.expires_at == datetime(2026, 11, 27, 10, tzinfo=UTC)


async def test_the_client_creates_a_redirect_session_as_documented() -> None:
    exchange = golden("session_create_redirect.json")
    body = KycSessionCreate(
        account_auth_id="MA_XXXXXXXX",
        flow_type="redirect",
        redirect_url="https://reseller.example/kyc/done",
        webhook_url="https://reseller.example/webhooks/kyc",
        expires_in_days=14,
    )
    async with client_answering(exchange) as (carrier, sent):
        created = await carrier.start_kyc_session("SA_XXXXXXXX", body, idempotency_key="onb-1:kyc:1")
    [request] = sent
    assert_sent(request, exchange)
    assert created.status == "link_ready"
    assert created.widget_url == exchange["response"]["body"]["widget_url"]


async def test_the_client_reads_the_session_and_status_and_confirms_the_verdict() -> None:
    session_exchange, status_exchange = golden("session_get.json"), golden("kyc_status.json")
    async with client_answering(session_exchange, status_exchange) as (carrier, sent):
        session = await carrier.get_kyc_session("SA_XXXXXXXX", "kyc_3f9a1c0d2b7e4a6f8c5d9e01")
        status = await carrier.get_kyc_status("SA_XXXXXXXX")
        verdict = await carrier.kyc_verdict("SA_XXXXXXXX", "kyc_3f9a1c0d2b7e4a6f8c5d9e01")
    assert [r.url.path for r in sent] == [
        session_exchange["request"]["path"],
        status_exchange["request"]["path"],
        session_exchange["request"]["path"],
        status_exchange["request"]["path"],
    ]
    assert_sent(sent[0], session_exchange)
    assert_sent(sent[1], status_exchange)
    assert (session.id, session.status, session.account_auth_id, session.kyc_type) == (
        "kyc_3f9a1c0d2b7e4a6f8c5d9e01",
        "kyc_completed",
        "MA_XXXXXXXX",
        None,
    )
    assert (status.overall_status, status.kyc_calls_blocked) == ("verified", False)
    assert status.verifications == status_exchange["response"]["body"]["verifications"]
    assert verdict == "approved"


def _sandbox_request(carrier: httpx.Client, exchange: dict[str, Any], sub_auth_id: str) -> httpx.Response:
    request = exchange["request"]
    path = request["path"].removeprefix("/api/v1").replace("SA_XXXXXXXX", sub_auth_id)
    body = None if request["body"] is None else {**request["body"], "account_auth_id": MASTER}
    return carrier.request(request["method"], path, json=body)


def test_the_sandbox_answers_in_the_golden_shapes(sandbox: Sandbox) -> None:
    with carrier_client(sandbox) as carrier:
        sub_auth_id = create_customer(carrier)["auth_id"]
        sessions = []
        for name in ("session_create_email.json", "session_create_redirect.json"):
            exchange = golden(name)
            answer = _sandbox_request(carrier, exchange, sub_auth_id)
            wanted = exchange["response"]
            assert answer.status_code == wanted["status"], answer.text
            assert set(answer.json()) == set(wanted["body"])
            assert answer.json()["status"] == wanted["body"]["status"]
            sessions.append(answer.json()["session_id"])
        got = carrier.get(f"/sub-accounts/{sub_auth_id}/kyc-sessions/{sessions[-1]}")
        assert set(got.json()) == set(golden("session_get.json")["response"]["body"])
        status = _sandbox_request(carrier, golden("kyc_status.json"), sub_auth_id)
        wanted_status = golden("kyc_status.json")["response"]["body"]
        assert set(status.json()) == set(wanted_status)
        assert set(status.json()["verifications"]) == set(wanted_status["verifications"])


def test_the_sandbox_sends_webhooks_in_the_golden_shape(sandbox: Sandbox) -> None:
    wanted = golden("webhook_delivery.json")
    with run_receiver("/webhooks/kyc") as receiver, carrier_client(sandbox) as carrier:
        sub_auth_id = create_customer(carrier)["auth_id"]
        exchange = golden("session_create_redirect.json")
        body = {**exchange["request"]["body"], "account_auth_id": MASTER, "webhook_url": receiver.url}
        session_id = carrier.post(f"/sub-accounts/{sub_auth_id}/kyc-sessions", json=body).json()["session_id"]
        complete = f"{sandbox.url}/_sandbox/kyc-sessions/{session_id}/complete"
        httpx.post(complete, json={"outcome": "approved"}).raise_for_status()
        deadline = time.monotonic() + 10
        while not any(r.event["event"] == "kyc.completed" for r in receiver.received):
            assert time.monotonic() < deadline, "the completion webhook never came"
            time.sleep(0.05)
    [delivery] = [r for r in receiver.received if r.event["event"] == "kyc.completed"]
    assert set(delivery.event) == set(json.loads(wanted["raw_body"]))
    assert KycWebhook.model_validate_json(delivery.body).session_id == session_id
    assert delivery.headers["content-type"] == wanted["headers"]["Content-Type"]
    assert SIGNATURE.match(delivery.headers["x-vobiz-signature"])
    assert verified([DEV_CARRIER_AUTH_TOKEN], delivery.body.encode(), delivery.headers["x-vobiz-signature"])


def test_the_receiver_accepts_the_golden_signature_and_refuses_a_one_byte_change() -> None:
    wanted = golden("webhook_delivery.json")
    body, header, token = (
        wanted["raw_body"].encode(),
        wanted["headers"]["X-Vobiz-Signature"],
        wanted["auth_token"],
    )
    assert verified([token], body, header)
    assert verified(["a-newer-token", token], body, header), "the previous token still verifies"
    assert KycWebhook.model_validate_json(body).event == "kyc.completed"
    for position in (0, len(body) // 2, len(body) - 1):
        changed = body[:position] + bytes([body[position] ^ 0x01]) + body[position + 1 :]
        assert not verified([token], changed, header)
    last = header[-1]
    assert not verified([token], body, header[:-1] + ("0" if last != "0" else "1"))
    assert not verified([token + "x"], body, header)
    assert not verified([token], body, None)


@pytest.mark.parametrize("name", sorted(p.name for p in HERE.glob("*.json")))
def test_every_golden_file_names_its_sources(name: str) -> None:
    assert golden(name)["source"]
