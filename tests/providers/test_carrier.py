"""The carrier client against the sandbox: every operation a customer's onboarding goes through."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest

from activities.cleanup import released
from providers import Providers
from providers.carrier_models import SubAccountCreate, SubAccountCreated, SubAccountUpdate
from providers.errors import Conflict, CoolOffInEffect, InvalidRequest, NotFound
from providers.kyc_models import KycSessionCreate
from tests.providers.conftest import NOWHERE, unique
from tests.support.processes import Sandbox


async def create_customer(providers: Providers) -> SubAccountCreated:
    body = SubAccountCreate(
        name=unique("carrier"),
        email="owner@acme.example",
        kyc_mode="customer_use",
        business_type="private_limited",
    )
    return await providers.carrier.create_sub_account(body)


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
    token = created.auth_credentials.auth_token.get_secret_value()
    assert created.auth_credentials.auth_id == sub.auth_id and token
    assert sub.auth_token is not None and sub.auth_token.get_secret_value() == token
    assert sub.kyc_mode == "customer_use" and sub.kyc_calls_blocked and sub.id > 0
    assert sub.parent_auth_id == carrier.auth_id and sub.rate_limit == 1000
    assert "tokens" not in created.model_dump() and token not in repr(created)

    read = await carrier.get_sub_account(sub.auth_id)
    assert read.auth_token is not None and read.auth_token.get_secret_value() != token
    assert read.model_dump(exclude={"auth_token"}) == sub.model_dump(exclude={"auth_token"})
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
    while (await carrier.list_sub_accounts(page=2, size=100)).items == []:  # more than one page
        await carrier.create_sub_account(SubAccountCreate(name=unique("filler")))
    last = (await create_customer(providers)).sub_account

    found = await carrier.find_sub_account_by_name(last.name)

    assert found is not None and found.auth_id == last.auth_id


async def test_numbers_bought_assigned_routed_and_released(providers: Providers) -> None:
    carrier = providers.carrier
    sub = (await create_customer(providers)).sub_account
    inventory = await carrier.list_inventory("IN", per_page=5)
    assert len(inventory.items) == 5 and all(offer.country == "IN" for offer in inventory.items)
    second_page = await carrier.list_inventory("IN", per_page=5, page=2)
    assert not {n.e164 for n in inventory.items} & {n.e164 for n in second_page.items}
    e164 = inventory.items[0].e164

    owned = await carrier.purchase_number(e164)
    assert owned.e164 == e164 and owned.account_id == carrier.auth_id and owned.trunk_group_id is None
    with pytest.raises(NotFound):  # no longer in the inventory
        await carrier.purchase_number(e164)

    await carrier.assign_number_to_sub_account(e164, sub.auth_id)
    await carrier.route_number_to_trunk(e164, "e3e55a78-0000-4000-8000-000000000002")
    mine = {n.e164: n for n in await carrier.owned_numbers()}[e164]
    assert mine.account_id == sub.auth_id and mine.trunk_group_id == "e3e55a78-0000-4000-8000-000000000002"
    with pytest.raises(Conflict):
        await carrier.assign_number_to_sub_account(
            e164, (await create_customer(providers)).sub_account.auth_id
        )

    await carrier.unassign_number_from_sub_account(e164)  # never used: at once
    assert {n.e164: n for n in await carrier.owned_numbers()}[e164].account_id == carrier.auth_id
    await carrier.release_number(e164)
    assert e164 not in {n.e164 for n in await carrier.owned_numbers()}
    with pytest.raises(InvalidRequest) as caught:
        await carrier.release_number(e164)
    assert caught.value.status_code == 403 and carrier.auth_id not in str(caught.value)


async def test_a_release_whose_answer_was_lost_is_done_on_its_retry(providers: Providers) -> None:
    carrier = providers.carrier
    e164 = (await carrier.list_inventory("IN", per_page=1)).items[0].e164
    await carrier.purchase_number(e164)
    await carrier.release_number(e164)  # the try whose answer the cleanup never got
    with pytest.raises(InvalidRequest):
        await carrier.release_number(e164)  # its retry is refused: the number is no longer ours
    await released(carrier, e164)  # which the cleanup reads as released
    assert e164 not in {n.e164 for n in await carrier.owned_numbers()}


async def test_owned_numbers_reads_every_page(providers: Providers) -> None:
    carrier = providers.carrier
    bought = [n.e164 for n in (await carrier.list_inventory("SG", per_page=3)).items]
    for e164 in bought:
        await carrier.purchase_number(e164)
    while len(await carrier.owned_numbers()) <= 100:
        await carrier.purchase_number((await carrier.list_inventory("ZA", per_page=1)).items[0].e164)

    assert set(bought) <= {n.e164 for n in await carrier.owned_numbers()}


async def test_a_number_with_a_recent_call_meets_the_cool_off(providers: Providers, sandbox: Sandbox) -> None:
    carrier = providers.carrier
    sub = (await create_customer(providers)).sub_account
    e164 = (await carrier.list_inventory("IN", per_page=1)).items[0].e164
    await carrier.purchase_number(e164)
    await carrier.assign_number_to_sub_account(e164, sub.auth_id)
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        called = await http.post(f"/_sandbox/numbers/{e164.replace('+', '%2B')}/calls")
    called.raise_for_status()

    for move in (carrier.unassign_number_from_sub_account, carrier.release_number):
        with pytest.raises(CoolOffInEffect) as caught:
            await move(e164)
        expected = datetime.now(UTC) + timedelta(days=15)
        assert abs(caught.value.cool_off_until - expected) < timedelta(minutes=1)
        assert caught.value.status_code == 409 and carrier.auth_id not in str(caught.value)


async def test_customer_use_without_email_is_the_providers_400(providers: Providers) -> None:
    body = SubAccountCreate(name=unique("carrier"), kyc_mode="customer_use")

    with pytest.raises(InvalidRequest) as caught:
        await providers.carrier.create_sub_account(body)

    assert type(caught.value) is InvalidRequest
    assert caught.value.status_code == 400 and caught.value.field == "email"
    assert str(caught.value) == (
        "POST /api/v1/accounts/{auth_id}/sub-accounts/ -> 400: "
        "email is required for a customer_use sub-account"
    )
