"""``Idempotency-Key``: ignored by default like the real providers, emulated on creating POSTs of both wire
formats when ``sandbox_honour_idempotency_keys`` is on."""

from __future__ import annotations

import uuid

import httpx

from tests.sandbox.conftest import AGENTS_HEADERS, SUBS, unique
from tests.support.processes import Sandbox


def key() -> dict[str, str]:
    return {"Idempotency-Key": f"test-{uuid.uuid4()}"}


def named(carrier: httpx.Client, name: str) -> list[dict[str, object]]:
    found: list[dict[str, object]] = []
    page = 1
    while items := carrier.get(SUBS, params={"page": page, "size": 100}).json()["items"]:
        found.extend(item for item in items if item["name"] == name)
        page += 1
    return found


def test_by_default_the_key_is_ignored(carrier: httpx.Client) -> None:
    headers, body = key(), {"name": unique("ignored")}
    first = carrier.post(SUBS, json=body, headers=headers)
    again = carrier.post(SUBS, json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json()["sub_account"]["auth_id"] != again.json()["sub_account"]["auth_id"]
    assert len(named(carrier, body["name"])) == 2


def test_same_key_and_body_replays_the_first_answer(honouring: httpx.Client) -> None:
    headers = key()
    body = {"name": unique("idem"), "email": "a@example.com", "kyc_mode": "customer_use"}
    first = honouring.post(SUBS, json=body, headers=headers)
    again = honouring.post(SUBS, json=dict(reversed(body.items())), headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert len(named(honouring, body["name"])) == 1


def test_same_key_with_another_body_is_409(honouring: httpx.Client) -> None:
    headers = key()
    assert honouring.post(SUBS, json={"name": unique("idem")}, headers=headers).status_code == 201
    clash = honouring.post(SUBS, json={"name": unique("idem")}, headers=headers)
    assert clash.status_code == 409 and clash.json()["error"]["type"] == "conflict"


def test_keys_are_scoped_by_route(honouring: httpx.Client, honouring_sandbox: Sandbox) -> None:
    headers = key()
    body = {"name": unique("scoped")}
    with httpx.Client(base_url=f"{honouring_sandbox.url}/v1", headers=AGENTS_HEADERS) as agents:
        carrier_sub = honouring.post(SUBS, json=body, headers=headers)
        agents_sub = agents.post("/sub-accounts", json=body, headers=headers)
        assert carrier_sub.status_code == agents_sub.status_code == 201
        replay = agents.post("/sub-accounts", json=body, headers=headers)
        assert replay.json()["id"] == agents_sub.json()["id"]


def test_validation_errors_replay_too(honouring: httpx.Client) -> None:
    headers = key()
    first = honouring.post(SUBS, json={"name": "x", "kyc_mode": "customer_use"}, headers=headers)
    again = honouring.post(SUBS, json={"name": "x", "kyc_mode": "customer_use"}, headers=headers)
    assert first.status_code == again.status_code == 400 and first.content == again.content
