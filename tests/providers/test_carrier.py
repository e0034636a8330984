"""The carrier client against the sandbox: every operation a customer's onboarding goes through."""

from __future__ import annotations

import pytest

from providers import Providers
from providers.carrier_models import (
    NumberAssign,
    NumberPurchase,
    SubAccountCreate,
    SubAccountCreated,
    SubAccountUpdate,
)
from providers.errors import Conflict, InvalidRequest, NotFound
from providers.kyc_models import KycSessionCreate
from tests.providers.conftest import NOWHERE, SandboxControl, unique


async def create_customer(providers: Providers) -> SubAccountCreated:
    body = SubAccountCreate(
        name=unique("carrier"),
        email="owner@acme.example",
        kyc_mode="customer_use",
        business_type="private_limited",
    )
    return await providers.carrier.create_sub_account(body, unique("key"))


def kyc_body(providers: Providers) -> KycSessionCreate:
    return KycSessionCreate(
        account_auth_id=providers.carrier.auth_id,
        flow_type="redirect",
        redirect_url="https://reseller.example/done",
        webhook_url=NOWHERE,
    )


async def test_sub_account_lifecycle(providers: Providers) -> None:
    carrier = providers.carrier
    created = await create_customer(providers)
    sub = created.sub_account
    assert created.auth_credentials.auth_id == sub.auth_id
    assert created.auth_credentials.auth_token.get_secret_value()
    assert sub.kyc_mode == "customer_use" and sub.kyc_calls_blocked

    assert await carrier.get_sub_account(sub.auth_id) == sub
    first = await carrier.list_sub_accounts(limit=1, offset=0)
    assert len(first.objects) == 1 and first.meta.total_count >= 1
    found = await carrier.find_sub_account_by_name(sub.name)
    assert found is not None and found.auth_id == sub.auth_id
    assert await carrier.find_sub_account_by_name(unique("nobody")) is None

    renamed = await carrier.update_sub_account(
        sub.auth_id, SubAccountUpdate(name=unique("renamed"), enabled=False)
    )
    assert renamed.auth_id == sub.auth_id and not renamed.enabled
    assert (await carrier.get_sub_account(sub.auth_id)).name == renamed.name

    await carrier.delete_sub_account(sub.auth_id)
    with pytest.raises(NotFound):
        await carrier.get_sub_account(sub.auth_id)
    with pytest.raises(NotFound):
        await carrier.delete_sub_account(sub.auth_id)


async def test_find_by_name_pages_through_the_whole_list(providers: Providers) -> None:
    carrier = providers.carrier
    names = [(await create_customer(providers)).sub_account.name for _ in range(3)]
    total = (await carrier.list_sub_accounts(limit=1)).meta.total_count
    assert total >= 3

    found = await carrier.find_sub_account_by_name(names[-1])

    assert found is not None and found.name == names[-1]


async def test_numbers_bought_assigned_listed_and_released(
    providers: Providers, control: SandboxControl
) -> None:
    carrier = providers.carrier
    sub = (await create_customer(providers)).sub_account
    inventory = await carrier.list_inventory("IN", limit=5)
    assert inventory.objects and all(offer.country == "IN" for offer in inventory.objects)
    assert len(inventory.objects) <= 5
    number = inventory.objects[0].number

    owned = await carrier.purchase_number(NumberPurchase(number=number), unique("key"))
    assert owned.number == number and owned.sub_account_id is None
    with pytest.raises(Conflict, match="not available"):
        await carrier.purchase_number(NumberPurchase(number=number), unique("key"))

    with pytest.raises(Conflict):  # calls still blocked until KYC is verified
        await carrier.assign_number(number, NumberAssign(sub_account_id=sub.auth_id), unique("key"))
    session = await carrier.start_kyc_session(
        sub.auth_id,
        kyc_body(providers),
        unique("key"),
    )
    await control.complete_kyc(session.session_id, "approved")

    assigned = await carrier.assign_number(number, NumberAssign(sub_account_id=sub.auth_id), unique("key"))
    assert assigned.number == number and assigned.sub_account_id == sub.auth_id
    mine = await carrier.list_numbers(sub_account_id=sub.auth_id)
    assert [n.number for n in mine.objects] == [number]
    assert number in {n.number for n in (await carrier.list_numbers()).objects}

    await carrier.release_number(number)
    assert (await carrier.list_numbers(sub_account_id=sub.auth_id)).objects == []
    with pytest.raises(NotFound):
        await carrier.release_number(number)


async def test_invalid_request_names_the_field(providers: Providers) -> None:
    # bypass our own validation to see the provider's: customer_use needs an email
    body = SubAccountCreate.model_construct(name=unique("carrier"), kyc_mode="customer_use")

    with pytest.raises(InvalidRequest) as caught:
        await providers.carrier.create_sub_account(body, unique("key"))

    assert type(caught.value) is InvalidRequest
    assert caught.value.status_code == 422 and caught.value.field == "email"
    assert "POST /api/v1/accounts/" in str(caught.value)


async def test_idempotent_create_replays_the_same_sub_account(providers: Providers) -> None:
    body = SubAccountCreate(name=unique("carrier"), email="a@b.example", kyc_mode="customer_use")
    key = unique("key")

    first = await providers.carrier.create_sub_account(body, key)
    again = await providers.carrier.create_sub_account(body, key)

    assert again.sub_account == first.sub_account
    assert (
        again.auth_credentials.auth_token.get_secret_value()
        == first.auth_credentials.auth_token.get_secret_value()
    )
    with pytest.raises(Conflict) as caught:
        await providers.carrier.create_sub_account(body.model_copy(update={"name": unique("other")}), key)
    assert caught.value.status_code == 409
