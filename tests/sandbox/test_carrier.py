"""The carrier wire format: sub-accounts, KYC-gated call blocking, numbers and their cool-off."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.sandbox.conftest import (
    MASTER,
    SUBS,
    buy_number,
    create_customer,
    path_number,
    start_session,
    unique,
)
from tests.support.processes import Sandbox

NUMBERS = f"/Account/{MASTER}/numbers"
INVENTORY = f"/Account/{MASTER}/inventory/numbers"


def to_sub_account(e164: str) -> str:
    return f"/account/{MASTER}/numbers/{path_number(e164)}/assign-subaccount"


def owned(carrier: httpx.Client, path: str = NUMBERS, **params: str) -> dict[str, dict[str, Any]]:
    """Every owned number by E.164 (all pages), listed at ``path``."""
    found: dict[str, dict[str, Any]] = {}
    page = 1
    while True:
        answer = carrier.get(path, params={"page": page, "per_page": 100, **params}).json()
        found.update({item["e164"]: item for item in answer["items"]})
        if len(answer["items"]) < 100:
            return found
        page += 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "email": "not-an-email"}, "email"),
        ({"name": "", "email": "a@example.com"}, "name"),
        ({"name": "x", "business_type": "pirate"}, "business_type"),
        ({"name": "x", "rate_limit": 0}, "rate_limit"),
        ({"name": "x", "surprise": 1}, "surprise"),
    ],
)
def test_invalid_sub_account_is_422_naming_the_field(
    carrier: httpx.Client, body: dict[str, object], field: str
) -> None:
    response = carrier.post(SUBS, json=body)
    assert response.status_code == 422
    assert response.json()["error"]["type"] == "invalid_request"
    assert response.json()["error"]["field"] == field


def test_customer_use_without_email_is_400(carrier: httpx.Client) -> None:
    response = carrier.post(SUBS, json={"name": unique("no-email"), "kyc_mode": "customer_use"})
    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "invalid_request",
        "message": "email is required for a customer_use sub-account",
        "field": "email",
    }
    personal = carrier.post(SUBS, json={"name": unique("personal")}).json()["sub_account"]
    promoted = carrier.put(SUBS + personal["auth_id"], json={"kyc_mode": "customer_use"})
    assert promoted.status_code == 400 and promoted.json()["error"]["field"] == "email"


def test_wrong_or_missing_credentials_are_401_without_hints(sandbox: Sandbox) -> None:
    wrong = {"X-Auth-ID": MASTER, "X-Auth-Token": "guess"}
    for response in (
        httpx.get(f"{sandbox.url}/api/v1{SUBS}", headers=wrong),
        httpx.get(f"{sandbox.url}/api/v1{SUBS}"),
        httpx.get(f"{sandbox.url}/v1/sub-accounts", headers={"Authorization": "Bearer sk_guess"}),
        httpx.get(f"{sandbox.url}/v1/agents"),
    ):
        assert response.status_code == 401
        assert "dev-" not in response.text and "sk_test" not in response.text


def test_create_accepts_every_documented_field_and_shows_the_token_once(carrier: httpx.Client) -> None:
    password = "s3cret-Passw0rd"
    body: dict[str, object] = {
        "name": unique("full"),
        "email": "ops@acme.example",
        "password": password,
        "kyc_mode": "customer_use",
        "business_type": "llp",
        "enabled": True,
        "rate_limit": 50,
        "permissions": {"calls": True},
        "phone": "+919800000000",
        "description": "branch office",
    }
    answer = carrier.post(SUBS, json=body)
    assert answer.status_code == 201, answer.text
    created = answer.json()
    assert set(created) == {"message", "sub_account", "auth_credentials", "tokens"}
    sub = created["sub_account"]
    assert isinstance(sub["id"], int) and sub["auth_id"].startswith("SA_")
    assert sub["parent_auth_id"] == MASTER and sub["kyc_calls_blocked"] is True
    assert {k: sub[k] for k in ("kyc_mode", "business_type", "rate_limit", "permissions", "phone")} == {
        k: body[k] for k in ("kyc_mode", "business_type", "rate_limit", "permissions", "phone")
    }
    assert "password" not in sub and password not in answer.text
    token = created["auth_credentials"]["auth_token"]
    assert sub["auth_token"] == token and len(token) >= 32
    assert set(created["tokens"]) == {"access_token", "refresh_token", "token_type", "expires_in"}

    read = carrier.get(SUBS + sub["auth_id"]).json()
    assert read["auth_token"] == "<redacted>" and token not in carrier.get(SUBS).text
    assert {k: v for k, v in read.items() if k != "auth_token"} == {
        k: v for k, v in sub.items() if k != "auth_token"
    }


def test_defaults_of_a_bare_create(carrier: httpx.Client) -> None:
    sub = carrier.post(SUBS, json={"name": unique("bare")}).json()["sub_account"]
    assert sub["kyc_mode"] == "personal_use" and sub["enabled"] is True and sub["rate_limit"] == 1000
    assert sub["kyc_calls_blocked"] is False


def test_sub_account_crud_and_listing(carrier: httpx.Client) -> None:
    name = unique("personal")
    created = carrier.post(SUBS, json={"name": name, "business_type": "llp"}).json()
    sub_id = created["sub_account"]["auth_id"]

    total = carrier.get(SUBS, params={"size": 1}).json()["total"]
    last = carrier.get(SUBS, params={"page": total, "size": 1}).json()
    assert [item["auth_id"] for item in last["items"]] == [sub_id]
    assert last["page"] == total and last["size"] == 1
    assert carrier.get(SUBS, params={"page": total + 1, "size": 1}).json()["items"] == []
    assert carrier.get(SUBS, params={"size": 101}).status_code == 422

    disabled = carrier.put(SUBS + sub_id, json={"enabled": False, "name": f"{name}-renamed"})
    assert disabled.json()["enabled"] is False and disabled.json()["name"] == f"{name}-renamed"
    assert carrier.get(SUBS + sub_id).json()["enabled"] is False

    assert carrier.delete(SUBS + sub_id).status_code == 204
    assert carrier.get(SUBS + sub_id).status_code == 404
    assert carrier.delete(SUBS + sub_id).json()["error"]["type"] == "not_found"


def test_listing_is_by_creation_date(carrier: httpx.Client) -> None:
    ids = [carrier.post(SUBS, json={"name": unique("order")}).json()["sub_account"]["id"] for _ in range(3)]
    listed: list[dict[str, object]] = []
    page = 1
    while items := carrier.get(SUBS, params={"page": page, "size": 2}).json()["items"]:
        listed.extend(items)
        page += 1
    assert [item["id"] for item in listed[-3:]] == ids
    stamps = [str(item["created_at"]) for item in listed]
    assert stamps == sorted(stamps)


def test_customer_use_calls_are_blocked_until_kyc_is_verified(
    carrier: httpx.Client, sandbox: Sandbox
) -> None:
    sub = create_customer(carrier, business_type="private_limited")
    assert sub["kyc_calls_blocked"] is True
    status = carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()
    assert status["overall_status"] == "not_started" and status["kyc_calls_blocked"] is True

    session = start_session(carrier, sub["auth_id"])
    approved = httpx.post(
        f"{sandbox.url}/_sandbox/kyc-sessions/{session['session_id']}/complete", json={"outcome": "approved"}
    )
    assert approved.status_code == 200 and approved.json()["status"] == "kyc_completed"
    status = carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()
    assert status["overall_status"] == "verified" and status["kyc_calls_blocked"] is False


def test_numbers_move_between_master_and_sub_accounts(carrier: httpx.Client, sandbox: Sandbox) -> None:
    sub = create_customer(carrier)
    number = buy_number(carrier)
    mine = owned(carrier)[number]
    assert mine["account_id"] == MASTER and mine["status"] == "active" and mine["currency"] == "INR"
    assert set(mine["capabilities"]) == {"voice", "sms", "mms", "fax"}

    assigned = carrier.post(to_sub_account(number), json={"sub_account_id": sub["auth_id"]})
    assert assigned.status_code == 200 and assigned.json()["account_id"] == sub["auth_id"]
    assert owned(carrier)[number]["account_id"] == sub["auth_id"]
    assert number not in owned(carrier, include_subaccounts="false")
    state = httpx.get(f"{sandbox.url}/_sandbox/state").json()["by_sub_account"][sub["auth_id"]]
    assert state["numbers"] == 1

    other = create_customer(carrier)
    taken = carrier.post(to_sub_account(number), json={"sub_account_id": other["auth_id"]})
    assert taken.status_code == 409 and taken.json()["error"]["field"] == "sub_account_id"
    assert carrier.delete(to_sub_account(number), params={"force": "true"}).status_code == 403

    back = carrier.delete(to_sub_account(number))  # never used: moves at once
    assert back.status_code == 200 and back.json()["account_id"] == MASTER

    carrier.put(SUBS + sub["auth_id"], json={"enabled": False})
    refused = carrier.post(to_sub_account(number), json={"sub_account_id": sub["auth_id"]})
    assert refused.status_code == 409


def test_a_number_used_in_the_last_15_days_cannot_leave(carrier: httpx.Client, sandbox: Sandbox) -> None:
    sub = create_customer(carrier)
    number = buy_number(carrier)
    assert carrier.post(to_sub_account(number), json={"sub_account_id": sub["auth_id"]}).status_code == 200
    called = httpx.post(f"{sandbox.url}/_sandbox/numbers/{path_number(number)}/calls")
    assert called.status_code == 200

    for refused in (
        carrier.delete(to_sub_account(number)),
        carrier.delete(f"{NUMBERS}/{path_number(number)}"),
    ):
        assert refused.status_code == 409
        error = refused.json()["error"]
        assert error["type"] == "did_cool_off_in_effect"
        until = datetime.fromisoformat(error["cool_off_until"])
        assert until == datetime.fromisoformat(called.json()["last_call_at"]) + timedelta(days=15)
        assert 15 * 86400 - 60 <= error["cool_off_remaining_seconds"] <= 15 * 86400
    assert owned(carrier)[number]["account_id"] == sub["auth_id"]
    assert httpx.post(f"{sandbox.url}/_sandbox/numbers/%2B15550000000/calls").status_code == 404


def test_trunk_routing(carrier: httpx.Client) -> None:
    number = buy_number(carrier)
    trunk = "e3e55a78-0000-4000-8000-000000000001"
    routed = carrier.post(f"{NUMBERS}/{path_number(number)}/assign", json={"trunk_group_id": trunk})
    assert routed.status_code == 200 and routed.json()["trunk_group_id"] == trunk
    assert owned(carrier)[number]["trunk_group_id"] == trunk
    assert carrier.delete(f"{NUMBERS}/{path_number(number)}/assign").json()["trunk_group_id"] is None
    assert carrier.post(f"{NUMBERS}/{path_number(number)}/assign", json={}).status_code == 422


def test_number_routes_answer_in_both_casings_and_with_a_literal_plus(carrier: httpx.Client) -> None:
    number = buy_number(carrier)
    lower = f"/account/{MASTER}/numbers"
    assert number in owned(carrier, lower)
    assert carrier.get(f"/account/{MASTER}/inventory/numbers", params={"country": "IN"}).status_code == 200
    assert carrier.delete(f"{lower}/{number}").status_code == 204  # the SDK's spelling: + unencoded
    assert carrier.get(f"/accounts/{MASTER}/Sub-Accounts/").status_code == 404, "sub-account paths are exact"


def test_bought_numbers_leave_the_inventory_until_released(carrier: httpx.Client) -> None:
    offer = carrier.get(INVENTORY, params={"country": "US", "per_page": 5}).json()
    assert len(offer["items"]) == 5 and offer["total"] >= 500 and offer["per_page"] == 5
    assert {item["currency"] for item in offer["items"]} == {"USD"}
    number = buy_number(carrier, "US")
    assert number.startswith("+1")
    again = carrier.post(f"{NUMBERS}/purchase-from-inventory", json={"e164": number})
    assert again.status_code == 404
    found = carrier.get(INVENTORY, params={"country": "US", "search": number[2:]}).json()
    assert found["items"] == [] and found["total"] == 0

    assert carrier.delete(f"{NUMBERS}/{path_number(number)}").status_code == 204
    again = carrier.delete(f"{NUMBERS}/{path_number(number)}")
    assert again.status_code == 403 and again.json()["error"]["type"] == "forbidden"
    found = carrier.get(INVENTORY, params={"country": "US", "search": number[2:]}).json()
    assert [item["e164"] for item in found["items"]] == [number]


def test_purchase_currency_defaults_to_the_numbers(carrier: httpx.Client) -> None:
    offer = carrier.get(INVENTORY, params={"country": "GB", "per_page": 2}).json()["items"]
    first = carrier.post(f"{NUMBERS}/purchase-from-inventory", json={"e164": offer[0]["e164"]}).json()
    second = carrier.post(
        f"{NUMBERS}/purchase-from-inventory", json={"e164": offer[1]["e164"], "currency": "EUR"}
    ).json()
    assert first["currency"] == "USD" and second["currency"] == "EUR"


def test_inventory_and_purchase_validation(carrier: httpx.Client) -> None:
    assert carrier.get(INVENTORY).json()["error"]["field"] == "country"
    assert carrier.get(INVENTORY, params={"country": "XX"}).json()["error"]["field"] == "country"
    assert carrier.get(INVENTORY, params={"country": "IN", "per_page": 101}).status_code == 422
    bad = carrier.post(f"{NUMBERS}/purchase-from-inventory", json={"e164": "0800"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "e164"
    unknown = carrier.post(f"{NUMBERS}/purchase-from-inventory", json={"e164": "+15551234567"})
    assert unknown.status_code == 404
    assert carrier.get("/accounts/MA_SOMEONE_ELSE/sub-accounts/").status_code == 404


def test_deleting_a_sub_account_hands_its_numbers_back_or_releases_them(carrier: httpx.Client) -> None:
    kept, released = create_customer(carrier), create_customer(carrier)
    first, second = buy_number(carrier), buy_number(carrier)
    carrier.post(to_sub_account(first), json={"sub_account_id": kept["auth_id"]})
    carrier.post(to_sub_account(second), json={"sub_account_id": released["auth_id"]})

    assert carrier.delete(SUBS + kept["auth_id"]).status_code == 204
    assert carrier.delete(SUBS + released["auth_id"], params={"cascade": "true"}).status_code == 204

    numbers = owned(carrier)
    assert numbers[first]["account_id"] == MASTER and second not in numbers
