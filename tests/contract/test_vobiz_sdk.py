"""The official Vobiz SDK drives the sandbox: every sub-account and number call it has answers 2xx with
what the SDK expects to read."""

from __future__ import annotations

import uuid

from config import DEV_CARRIER_AUTH_ID
from tests.contract.conftest import Sdk


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def all_2xx(sdk: Sdk) -> bool:
    return bool(sdk.answers) and all(200 <= status < 300 for _, _, status in sdk.answers)


def test_sub_accounts_through_the_sdk(sdk: Sdk) -> None:
    subs = sdk.client.subaccounts
    name = unique("sdk")
    created = subs.create(
        name=name,
        email="sdk@acme.example",
        rate_limit=25,
        permissions={"calls": True, "numbers": False},
        password="Sdk-Passw0rd!",
        phone="+919800000001",
        description="made by the official SDK",
        enabled=True,
    )
    sub = created.sub_account
    assert (
        sub.auth_id.startswith("SA_")
        and isinstance(sub.id, int)
        and sub.parent_auth_id == DEV_CARRIER_AUTH_ID
    )
    assert (sub.name, sub.email, sub.rate_limit, sub.phone) == (name, "sdk@acme.example", 25, "+919800000001")
    assert sub.permissions.calls is True and sub.kyc_mode == "personal_use" and sub.enabled is True
    assert created.auth_credentials.auth_token == sub.auth_token and created.tokens.token_type == "bearer"

    listed = subs.list(page=1, size=100)
    assert listed.page == 1 and listed.size == 100 and listed.total >= 1
    last = subs.list(page=listed.total, size=1)
    assert [item.auth_id for item in last.items] == [sub.auth_id]

    read = subs.get(sub.auth_id)
    assert read.auth_id == sub.auth_id and read.auth_token == "<redacted>"
    updated = subs.update(sub.auth_id, name=f"{name}-renamed", enabled=False)
    assert updated.name == f"{name}-renamed" and updated.enabled is False
    assert subs.update(sub.auth_id, kyc_mode="customer_use").kyc_calls_blocked is True

    assert subs.delete(sub.auth_id) is None  # 204
    assert all_2xx(sdk), sdk.answers
    paths = {path.split("?")[0] for _, path, _ in sdk.answers}
    assert f"/api/v1/accounts/{DEV_CARRIER_AUTH_ID}/sub-accounts/" in paths


def test_numbers_through_the_sdk(sdk: Sdk) -> None:
    phone_numbers = sdk.client.phone_numbers
    offer = phone_numbers.list_inventory(country="IN", page=2, per_page=3, search="9180")
    assert offer.page == 2 and offer.per_page == 3 and len(offer.items) == 3
    e164 = offer.items[0].e164
    assert e164.startswith("+9180") and offer.items[0].country == "IN"

    bought = phone_numbers.purchase_from_inventory(e164, currency="INR")
    assert bought.e164 == e164 and bought.currency == "INR" and bought.account_id == DEV_CARRIER_AUTH_ID

    owned = phone_numbers.list(page=1, per_page=100, include_subaccounts=True)
    pages = [owned]
    while len(pages[-1].items) == 100:
        pages.append(phone_numbers.list(page=len(pages) + 1, per_page=100, include_subaccounts=True))
    mine = [item for page in pages for item in page.items if item.e164 == e164]
    assert len(mine) == 1 and mine[0].status == "active" and mine[0].capabilities.voice is True

    trunk = "e3e55a78-0000-4000-8000-0000000000aa"
    assert phone_numbers.assign_to_trunk(e164, trunk).trunk_group_id == trunk
    assert phone_numbers.unassign_from_trunk(e164).trunk_group_id is None
    assert phone_numbers.release(e164) is None  # 204

    assert all_2xx(sdk), sdk.answers
    number_paths = [path for _, path, _ in sdk.answers if "/numbers" in path]
    assert all(path.startswith(f"/api/v1/account/{DEV_CARRIER_AUTH_ID}/") for path in number_paths)
