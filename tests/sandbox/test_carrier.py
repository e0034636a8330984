"""The carrier wire format: validation, auth, KYC-gated call blocking, numbers."""

from __future__ import annotations

import httpx
import pytest

from tests.sandbox.conftest import MASTER, SUBS, buy_number, create_customer, start_session, unique
from tests.support.processes import Sandbox


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "kyc_mode": "customer_use"}, "email"),
        ({"name": "x", "email": "not-an-email"}, "email"),
        ({"name": "", "email": "a@example.com"}, "name"),
        ({"name": "x", "business_type": "pirate"}, "business_type"),
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


def test_sub_account_crud_and_listing(carrier: httpx.Client) -> None:
    name = unique("personal")
    created = carrier.post(SUBS, json={"name": name, "business_type": "llp"})
    assert created.status_code == 201
    answer = created.json()
    sub_id = answer["sub_account"]["auth_id"]
    assert sub_id.startswith("SA_") and answer["auth_credentials"]["auth_id"] == sub_id
    assert len(answer["auth_credentials"]["auth_token"]) >= 32
    assert answer["sub_account"]["kyc_calls_blocked"] is False

    page = carrier.get(SUBS, params={"limit": 100}).json()
    assert page["meta"]["total_count"] >= 1
    listed = carrier.get(SUBS, params={"limit": 1, "offset": page["meta"]["total_count"] - 1}).json()
    assert listed["objects"][0]["auth_id"] == sub_id and listed["meta"]["next"] is None

    disabled = carrier.put(SUBS + sub_id, json={"enabled": False, "name": f"{name}-renamed"})
    assert disabled.json()["enabled"] is False and disabled.json()["name"] == f"{name}-renamed"
    assert carrier.get(SUBS + sub_id).json()["enabled"] is False
    assert carrier.put(SUBS + sub_id, json={"kyc_mode": "customer_use"}).json()["kyc_calls_blocked"] is True

    assert carrier.delete(SUBS + sub_id).status_code == 204
    assert carrier.get(SUBS + sub_id).status_code == 404
    assert carrier.delete(SUBS + sub_id).json()["error"]["type"] == "not_found"


def test_customer_use_calls_are_blocked_until_kyc_is_verified(
    carrier: httpx.Client, sandbox: Sandbox
) -> None:
    sub = create_customer(carrier, business_type="private_limited")
    assert sub["kyc_calls_blocked"] is True
    status = carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()
    assert status["overall_status"] == "not_started" and status["kyc_calls_blocked"] is True
    assert set(status["verifications"]) == {"pan", "gst", "cin", "aadhaar"}

    number = buy_number(carrier)
    assign = f"/account/{MASTER}/numbers/{number}/assign-subaccount"
    refused = carrier.post(assign, json={"sub_account_id": sub["auth_id"]})
    assert refused.status_code == 409 and refused.json()["error"]["type"] == "conflict"

    session = start_session(carrier, sub["auth_id"])
    assert carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()["overall_status"] == "pending"
    approved = httpx.post(
        f"{sandbox.url}/_sandbox/kyc-sessions/{session['session_id']}/complete", json={"outcome": "approved"}
    )
    assert approved.status_code == 200 and approved.json()["status"] == "kyc_completed"

    status = carrier.get(f"/sub-accounts/{sub['auth_id']}/kyc/status").json()
    assert status["overall_status"] == "verified" and status["kyc_calls_blocked"] is False
    assert set(status["verifications"].values()) == {"verified"}
    assigned = carrier.post(assign, json={"sub_account_id": sub["auth_id"]})
    assert assigned.status_code == 200 and assigned.json()["sub_account_id"] == sub["auth_id"]
    mine = carrier.get(f"/Account/{MASTER}/numbers/", params={"sub_account_id": sub["auth_id"]}).json()
    assert [owned["number"] for owned in mine["objects"]] == [number]

    state = httpx.get(f"{sandbox.url}/_sandbox/state").json()["by_sub_account"][sub["auth_id"]]
    assert state["numbers"] == 1 and state["kyc_status"] == "verified"

    carrier.put(SUBS + sub["auth_id"], json={"enabled": False})
    other = buy_number(carrier)
    disabled = carrier.post(
        f"/account/{MASTER}/numbers/{other}/assign-subaccount", json={"sub_account_id": sub["auth_id"]}
    )
    assert disabled.status_code == 409

    assert carrier.delete(SUBS + sub["auth_id"]).status_code == 204
    assert (
        carrier.get(f"/Account/{MASTER}/numbers/", params={"sub_account_id": sub["auth_id"]}).json()[
            "objects"
        ]
        == []
    )
    assert sub["auth_id"] not in httpx.get(f"{sandbox.url}/_sandbox/state").json()["by_sub_account"]


def test_personal_use_is_never_blocked_and_needs_no_kyc(carrier: httpx.Client) -> None:
    sub = carrier.post(SUBS, json={"name": unique("personal")}).json()["sub_account"]
    assert sub["kyc_calls_blocked"] is False
    body = {
        "account_auth_id": MASTER,
        "customer_email": "a@example.com",
        "webhook_url": "http://127.0.0.1:9/hook",
    }
    assert carrier.post(f"/sub-accounts/{sub['auth_id']}/kyc-sessions", json=body).status_code == 409
    number = buy_number(carrier)
    assign = carrier.post(
        f"/account/{MASTER}/numbers/{number}/assign-subaccount", json={"sub_account_id": sub["auth_id"]}
    )
    assert assign.status_code == 200


def test_bought_numbers_leave_the_inventory_until_released(carrier: httpx.Client) -> None:
    inventory = f"/Account/{MASTER}/inventory/numbers"
    offer = carrier.get(inventory, params={"country": "US", "limit": 5}).json()
    assert len(offer["objects"]) == 5 and offer["meta"]["total_count"] >= 500
    number = buy_number(carrier, "US")
    assert number.startswith("+1")
    again = carrier.post(f"/Account/{MASTER}/numbers/purchase-from-inventory", json={"number": number})
    assert again.status_code == 409 and again.json()["error"]["message"] == "number is not available"
    listed = [
        item["number"]
        for item in carrier.get(inventory, params={"country": "US", "limit": 100}).json()["objects"]
    ]
    assert number not in listed

    assert carrier.delete(f"/Account/{MASTER}/numbers/{number}").status_code == 204
    assert carrier.delete(f"/Account/{MASTER}/numbers/{number}").status_code == 404
    listed = [
        item["number"]
        for item in carrier.get(inventory, params={"country": "US", "limit": 100}).json()["objects"]
    ]
    assert number in listed


def test_inventory_and_purchase_validation(carrier: httpx.Client) -> None:
    inventory = f"/Account/{MASTER}/inventory/numbers"
    assert carrier.get(inventory).json()["error"]["field"] == "country"
    assert carrier.get(inventory, params={"country": "XX"}).json()["error"]["field"] == "country"
    bad = carrier.post(f"/Account/{MASTER}/numbers/purchase-from-inventory", json={"number": "0800"})
    assert bad.status_code == 422 and bad.json()["error"]["field"] == "number"
    unknown = carrier.post(
        f"/Account/{MASTER}/numbers/purchase-from-inventory", json={"number": "+15551234567"}
    )
    assert unknown.status_code == 404
    assert carrier.get("/accounts/MA_SOMEONE_ELSE/sub-accounts/").status_code == 404
