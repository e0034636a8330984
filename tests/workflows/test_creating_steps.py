"""The creating activities' rule for an unknown outcome, against the sandbox: once an earlier attempt's
idempotency key may have expired (a retry or a reset long after the onboarding began), they look up what
it made and never keep a second one; a young onboarding relies on the key alone."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from temporalio.testing import ActivityEnvironment

from activities.models import AgentCreated, CreateAgent, CreateSubAccount
from activities.provisioning import Provisioning
from providers import Providers
from providers.agent_models import AgentCreate, AgentSubAccountCreate
from providers.carrier_models import SubAccountCreate
from tests.workflows.conftest import Harness
from workflows.models import AgentSpec

#: An onboarding that began before the provider's key window: any earlier attempt's key may be gone.
LONG_AGO = datetime.now(UTC) - timedelta(days=3)


def attempt(number: int) -> ActivityEnvironment:
    """An activity environment whose activity runs as attempt ``number`` (1 after a workflow reset)."""
    env = ActivityEnvironment()
    env.info = dataclasses.replace(env.info, attempt=number)
    return env


async def sub_accounts_named(harness: Harness, name: str) -> list[str]:
    carrier = harness.deps.providers.carrier
    found: list[str] = []
    offset = 0
    while True:
        page = await carrier.list_sub_accounts(offset=offset)
        found += [s.auth_id for s in page.objects if s.name == name]
        offset += len(page.objects)
        if not page.objects or offset >= page.meta.total_count:
            return found


async def test_a_reset_keeps_the_sub_account_an_expired_key_no_longer_replays(harness: Harness) -> None:
    onboarding_id = f"onboarding-{uuid.uuid4().hex[:8]}"
    earlier = await harness.deps.providers.carrier.create_sub_account(
        SubAccountCreate(name=onboarding_id, email="a@example.com", kyc_mode="customer_use"),
        idempotency_key="a-key-the-provider-has-forgotten",
    )
    step = CreateSubAccount(
        onboarding_id=onboarding_id,
        email="a@example.com",
        kyc_mode="customer_use",
        business_type="individual",
        onboarding_started_at=LONG_AGO,
    )

    kept = await attempt(1).run(Provisioning(harness.deps).create_sub_account, step)

    assert kept == earlier.sub_account.auth_id
    assert await sub_accounts_named(harness, onboarding_id) == [kept]


async def test_a_retry_long_after_finds_the_agent_an_earlier_attempt_created(harness: Harness) -> None:
    carrier_sub = f"SA_{uuid.uuid4().hex[:16].upper()}"
    spec = AgentSpec(name="Front desk", system_prompt="Book appointments.")
    agents = harness.deps.providers.agents
    sub = await agents.create_sub_account(AgentSubAccountCreate(name=carrier_sub), "forgotten-1")
    agent = await agents.create_agent(
        sub.id, AgentCreate(name=spec.name, system_prompt=spec.system_prompt), "forgotten-2"
    )
    step = CreateAgent(
        onboarding_id=f"onboarding-{carrier_sub}",
        sub_account_id=carrier_sub,
        agent=spec,
        numbers=[],
        onboarding_started_at=LONG_AGO,
    )

    created = await attempt(3).run(Provisioning(harness.deps).create_agent, step)

    assert created == AgentCreated(agent_sub_account_id=sub.id, agent_id=agent.id)
    assert [s.id for s in await agents.list_sub_accounts() if s.name == carrier_sub] == [sub.id]
    assert [a.id for a in await agents.list_agents(sub.id)] == [agent.id]


async def test_a_young_onboarding_creates_without_paging_through_every_sub_account(harness: Harness) -> None:
    onboarding_id = f"onboarding-{uuid.uuid4().hex[:8]}"
    step = CreateSubAccount(
        onboarding_id=onboarding_id,
        email="a@example.com",
        kyc_mode="customer_use",
        business_type="individual",
        onboarding_started_at=datetime.now(UTC) - timedelta(minutes=5),
    )
    sent: list[str] = []

    async def record(request: httpx.Request) -> None:
        sent.append(f"{request.method} {request.url.path}")

    observed = Providers.from_settings(harness.settings, {"request": [record]})
    try:
        deps = dataclasses.replace(harness.deps, providers=observed)
        created = await attempt(4).run(Provisioning(deps).create_sub_account, step)  # even a retry
    finally:
        await observed.aclose()

    assert sent == [f"POST /api/v1/accounts/{observed.carrier.auth_id}/sub-accounts/"]
    assert await sub_accounts_named(harness, onboarding_id) == [created]
