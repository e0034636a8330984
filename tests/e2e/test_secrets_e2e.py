"""Nothing secret is readable by someone who only has Temporal's history, the logs of a real run or the
reseller API's answers about it."""

from __future__ import annotations

import asyncio
import base64
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from google.protobuf import json_format
from pydantic import SecretStr
from standardwebhooks import Webhook
from temporalio.api.common.v1 import Payloads
from temporalio.client import Client

from callbacks.signing import CallbackSigner
from config import (
    DEV_AGENTS_API_KEY,
    DEV_CALLBACK_SIGNING_KEY,
    DEV_CARRIER_AUTH_ID,
    DEV_CARRIER_AUTH_TOKEN,
    DEV_CODEC_KEY,
    DEV_VAULT_KEY,
    Settings,
)
from store import credentials
from store.db import make_engine
from store.vault import Vault
from tests.support.receiver import CALLBACK_TOKEN, WebhookReceiver, run_receiver
from tests.support.stack import API_KEY, Stack, onboarding_body

#: Personal data no other test or banner uses, so finding it anywhere means this run leaked it.
BODY = {
    **onboarding_body("e2e-secrets", count=1),
    "business_name": "Quiet Harbour Orthodontics 7781",
    "email": "dr.quiet.7781@harbour-ortho.example",
    "agent": {"name": "Reception", "system_prompt": "Greet patients of Quiet Harbour 7781."},
}


@pytest.fixture(scope="module")
def receiver() -> Iterator[WebhookReceiver]:
    """The reseller's backend, taking the onboardings' status callbacks."""
    with run_receiver() as running:
        yield running


def _completed(stack: Stack, reference: str, callback_url: str) -> tuple[dict[str, object], str]:
    """Run one onboarding to completion; return its document and the KYC link it used."""
    body = {**BODY, "reference": reference, "callback_url": callback_url}
    with stack.api() as api:
        onboarding_id = api.post("/v1/onboardings", json=body).json()["id"]
        waiting = stack.wait_for_status(api, onboarding_id, {"awaiting_kyc"})
        session_id = waiting["kyc"]["session_id"]
        emailed = httpx.get(f"{stack.sandbox_url}/_sandbox/kyc-sessions/{session_id}/email", timeout=10.0)
        link = str(waiting["kyc"]["url"] or emailed.json()["link"])
        stack.approve_on_hosted_page(session_id)
        done = stack.wait_for_status(api, onboarding_id, {"completed", "failed"})
    assert done["status"] == "completed", done
    return done, link


def _wait_for_callback(receiver: WebhookReceiver, onboarding_id: str, status: str, secret: str) -> None:
    """Wait until the reseller's backend has taken the ``status`` callback, and check its signature."""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        for delivery in receiver.accepted():
            data = delivery.event["data"]
            if data["id"] == onboarding_id and data["status"] == status:
                Webhook(secret).verify(delivery.body, delivery.headers)
                return
        time.sleep(0.1)
    raise AssertionError(f"no {status} callback for {onboarding_id}")


async def _raw_history(address: str, workflow_id: str) -> tuple[bytes, Payloads]:
    """The history as the server stores it (a client without our codec), and the workflow's input."""
    client = await Client.connect(address)
    history = await client.get_workflow_handle(workflow_id).fetch_history()
    raw = b"".join(event.SerializeToString() for event in history.events)
    started = history.events[0].workflow_execution_started_event_attributes
    return raw, Payloads(payloads=list(started.input.payloads))


def _clear_secrets(stack: Stack, done: dict[str, object], kyc_url: str) -> dict[str, str]:
    engine = make_engine(stack.env["ONBOARD_DATABASE_URL"])
    token = credentials.load(engine, Vault(Settings().vault_keys), str(done["sub_account_id"]))
    assert token is not None
    return {
        "email": str(BODY["email"]),
        "business name": str(BODY["business_name"]),
        "system prompt": str(BODY["agent"]["system_prompt"]),
        "KYC link": kyc_url,
        "sub-account token": token.get_secret_value(),
        "token in the callback URL": CALLBACK_TOKEN,
    }


def test_history_is_ciphertext_and_the_codec_decodes_it_for_the_operator_only(
    stack: Stack, receiver: WebhookReceiver
) -> None:
    done, kyc_url = _completed(stack, "e2e-secrets-history", receiver.url)
    raw, started_input = asyncio.run(_raw_history(stack.temporal_address, str(done["id"])))
    for what, clear in _clear_secrets(stack, done, kyc_url).items():
        assert clear.encode() not in raw, f"{what} is readable in the workflow history"

    body = json_format.MessageToDict(started_input)
    operator = httpx.post(
        f"{stack.api_url}/codec/decode", json=body, headers={"Authorization": f"Bearer {API_KEY}"}
    )
    assert operator.status_code == 200
    decoded = base64.b64decode(operator.json()["payloads"][0]["data"])
    assert str(BODY["email"]).encode() in decoded
    for headers in ({}, {"Authorization": "Bearer not-the-key"}):
        refused = httpx.post(f"{stack.api_url}/codec/decode", json=body, headers=headers)
        assert refused.status_code == 401 and str(BODY["email"]).encode() not in refused.content


def test_no_secret_appears_in_any_log_or_api_answer_of_the_run(
    stack: Stack, receiver: WebhookReceiver
) -> None:
    receiver.statuses = [503, 503]  # failed deliveries get logged too
    done, kyc_url = _completed(stack, "e2e-secrets-logs", receiver.url)
    [callback_secret] = CallbackSigner(SecretStr(DEV_CALLBACK_SIGNING_KEY)).secrets_for("default")
    _wait_for_callback(receiver, str(done["id"]), "completed", callback_secret)
    secrets = {
        **_clear_secrets(stack, done, kyc_url),
        "API key": API_KEY,
        "carrier token": DEV_CARRIER_AUTH_TOKEN,
        "agents key": DEV_AGENTS_API_KEY,
        "vault key": DEV_VAULT_KEY.partition(":")[2],
        "codec key": DEV_CODEC_KEY.partition(":")[2],
        "callback signing key": DEV_CALLBACK_SIGNING_KEY,
        "reseller callback secret": callback_secret.removeprefix("whsec_"),
    }
    logs = sorted(Path(stack.data_dir).rglob("*.log"))
    assert any(log.name == "worker.log" for log in logs) and any(log.name == "api.log" for log in logs)
    for log in logs:
        text = log.read_text(errors="replace")
        for what, secret in secrets.items():
            assert secret not in text, f"the {what} appears in {log.name}"
    with stack.api() as api:
        answers = {
            "status document": api.get(f"/v1/onboardings/{done['id']}"),
            "list": api.get("/v1/onboardings"),
        }
    for where, answer in answers.items():
        assert answer.status_code == 200 and str(done["id"]) in answer.text
        for what, secret in {**secrets, "master account id": DEV_CARRIER_AUTH_ID}.items():
            assert secret not in answer.text, f"the {what} appears in the API's {where}"
