"""Plain-HTTP clients for the sandbox suites, a tuned second sandbox and a tiny webhook receiver."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from config import DEV_AGENTS_API_KEY, DEV_CARRIER_AUTH_ID, DEV_CARRIER_AUTH_TOKEN
from tests.support.processes import Sandbox, run_sandbox
from tests.support.receiver import WebhookReceiver, run_receiver

MASTER = DEV_CARRIER_AUTH_ID
SUBS = f"/accounts/{MASTER}/sub-accounts/"
CARRIER_HEADERS = {"X-Auth-ID": DEV_CARRIER_AUTH_ID, "X-Auth-Token": DEV_CARRIER_AUTH_TOKEN}
AGENTS_HEADERS = {"Authorization": f"Bearer {DEV_AGENTS_API_KEY}"}
TUNED_UNBLOCK_DELAY_S = 1.5
TUNED_AGENT_LIMIT = 3


def unique(prefix: str) -> str:
    """A name no other test uses (the sandbox fixture lives for the whole session)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def carrier_client(sandbox: Sandbox) -> httpx.Client:
    """A carrier client with the master credentials."""
    return httpx.Client(base_url=f"{sandbox.url}/api/v1", headers=CARRIER_HEADERS, timeout=10.0)


def agents_client(sandbox: Sandbox) -> httpx.Client:
    """An agent-platform client with the master key."""
    return httpx.Client(base_url=f"{sandbox.url}/v1", headers=AGENTS_HEADERS, timeout=10.0)


def create_customer(carrier: httpx.Client, **extra: Any) -> dict[str, Any]:
    """A fresh ``customer_use`` sub-account (its ``sub_account`` part)."""
    body = {"name": unique("customer"), "email": "owner@example.com", "kyc_mode": "customer_use", **extra}
    response = carrier.post(SUBS, json=body)
    assert response.status_code == 201, response.text
    sub: dict[str, Any] = response.json()["sub_account"]
    return sub


def start_session(
    carrier: httpx.Client, sub_id: str, webhook_url: str = "http://127.0.0.1:9/hook", **extra: Any
) -> dict[str, Any]:
    """A hosted KYC session for ``sub_id`` (the redirect flow unless ``extra`` says otherwise)."""
    body = {
        "account_auth_id": MASTER,
        "flow_type": "redirect",
        "redirect_url": "https://reseller.example/kyc-done",
        "webhook_url": webhook_url,
        **extra,
    }
    response = carrier.post(f"/sub-accounts/{sub_id}/kyc-sessions", json=body)
    assert response.status_code == 201, response.text
    session: dict[str, Any] = response.json()
    return session


def buy_number(carrier: httpx.Client, country: str = "IN") -> str:
    """Buy the first number on offer in ``country``."""
    offer = carrier.get(f"/Account/{MASTER}/inventory/numbers", params={"country": country, "per_page": 1})
    number: str = offer.json()["items"][0]["e164"]
    bought = carrier.post(f"/Account/{MASTER}/numbers/purchase-from-inventory", json={"e164": number})
    assert bought.status_code == 201, bought.text
    return number


def path_number(e164: str) -> str:
    """``e164`` as a path segment, ``+`` sent as ``%2B``."""
    return e164.replace("+", "%2B")


@pytest.fixture
def carrier(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A carrier client for the session's sandbox."""
    with carrier_client(sandbox) as client:
        yield client


@pytest.fixture(scope="session")
def honouring_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox emulating ``Idempotency-Key`` (off by default: no provider publishes it)."""
    with run_sandbox(
        Path(tmp_path_factory.mktemp("honouring-sandbox")), sandbox_honour_idempotency_keys="true"
    ) as running:
        yield running


@pytest.fixture
def honouring(honouring_sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A carrier client for the sandbox that honours ``Idempotency-Key``."""
    with carrier_client(honouring_sandbox) as client:
        yield client


@pytest.fixture
def agents(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """An agent-platform client for the session's sandbox."""
    with agents_client(sandbox) as client:
        yield client


@pytest.fixture(scope="session")
def tuned_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A second sandbox with an unblock delay and a small agent sub-account limit."""
    with run_sandbox(
        Path(tmp_path_factory.mktemp("tuned-sandbox")),
        sandbox_unblock_delay_s=str(TUNED_UNBLOCK_DELAY_S),
        sandbox_agent_sub_account_limit=str(TUNED_AGENT_LIMIT),
    ) as running:
        yield running


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    """A webhook receiver on a free loopback port, for the duration of one test."""
    with run_receiver("/hooks/kyc") as running:
        yield running
