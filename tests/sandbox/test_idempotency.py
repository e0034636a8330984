"""``Idempotency-Key`` on creating POSTs of both wire formats."""

from __future__ import annotations

import uuid

import httpx

from tests.sandbox.conftest import SUBS, unique
from tests.support.processes import Sandbox


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{uuid.uuid4()}"}


def test_same_key_and_body_replays_the_first_answer(carrier: httpx.Client, sandbox: Sandbox) -> None:
    headers = key()
    body = {"name": unique("idem"), "email": "a@example.com", "kyc_mode": "customer_use"}
    first = carrier.post(SUBS, json=body, headers=headers)
    again = carrier.post(SUBS, json=dict(reversed(body.items())), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    matching = [
        s for s in carrier.get(SUBS, params={"limit": 100}).json()["objects"] if s["name"] == body["name"]
    ]
    assert len(matching) == 1


def test_same_key_with_another_body_is_409(carrier: httpx.Client) -> None:
    headers = key()
    assert carrier.post(SUBS, json={"name": unique("idem")}, headers=headers).status_code == 201
    clash = carrier.post(SUBS, json={"name": unique("idem")}, headers=headers)
    assert clash.status_code == 409 and clash.json()["error"]["type"] == "conflict"


def test_keys_are_scoped_by_route(carrier: httpx.Client, agents: httpx.Client) -> None:
    headers = key()
    body = {"name": unique("scoped")}
    carrier_sub = carrier.post(SUBS, json=body, headers=headers)
    agents_sub = agents.post("/sub-accounts", json=body, headers=headers)
    assert carrier_sub.status_code == agents_sub.status_code == 201
    replay = agents.post("/sub-accounts", json=body, headers=headers)
    assert replay.json()["id"] == agents_sub.json()["id"]


def test_validation_errors_replay_too(carrier: httpx.Client) -> None:
    headers = key()
    first = carrier.post(SUBS, json={"name": "x", "kyc_mode": "customer_use"}, headers=headers)
    again = carrier.post(SUBS, json={"name": "x", "kyc_mode": "customer_use"}, headers=headers)
    assert first.status_code == again.status_code == 422 and first.content == again.content
