"""The longest reseller name and reference accepted make provider names the providers take: the onboarding
id the API derives names the carrier sub-account, which the real activity creates at the provider."""

from __future__ import annotations

from temporalio.testing import ActivityEnvironment

from activities.models import CreateSubAccount
from activities.provisioning import Provisioning
from domain.onboarding import REFERENCE_MAX_LENGTH, RESELLER_MAX_LENGTH
from store import api_keys
from tests.api.harness import RunningApi, onboarding_body
from tests.support.processes import Sandbox
from worker.app import build_deps


async def test_the_longest_reseller_and_reference_name_a_sub_account_the_carrier_takes(
    api: RunningApi, sandbox: Sandbox
) -> None:
    key = api_keys.create(api.engine, "r" * RESELLER_MAX_LENGTH)
    body = onboarding_body("R" * REFERENCE_MAX_LENGTH)
    async with api.async_client(key) as client:
        started = await client.post("/v1/onboardings", json=body)
    assert started.status_code == 202, started.text
    onboarding_id = started.json()["id"]

    step = CreateSubAccount(
        onboarding_id=onboarding_id,
        email=body["email"],
        kyc_mode=body["kyc_mode"],
        business_type=body["business_type"],
        may_repeat=False,
    )
    deps = build_deps(sandbox.settings.model_copy(update={"database_url": api.settings.database_url}))
    try:
        sub_auth_id = await ActivityEnvironment().run(Provisioning(deps).create_sub_account, step)
        created = await deps.providers.carrier.get_sub_account(sub_auth_id)
    finally:
        await deps.aclose()
    assert created.name == onboarding_id
