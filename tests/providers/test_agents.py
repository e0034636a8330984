"""The agent-platform client against the sandbox: sub-accounts, agents and numbers, scoped per sub-account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from providers import Providers
from providers.agent_models import AgentCreate, AgentSubAccountCreate, NumberCreate
from providers.carrier_models import NumberPurchase
from providers.errors import Conflict, LimitReached, NotFound
from tests.providers.conftest import unique
from tests.support.processes import Sandbox, run_sandbox


def agent_body(name: str = "Front desk") -> AgentCreate:
    return AgentCreate(name=name, system_prompt="Book appointments.", voice="alloy")


async def test_sub_accounts_are_created_listed_found_and_deleted(providers: Providers) -> None:
    agents = providers.agents
    name = unique("agents")
    created = await agents.create_sub_account(AgentSubAccountCreate(name=name), unique("key"))
    assert created.name == name

    assert created in await agents.list_sub_accounts()
    assert await agents.find_sub_account_by_name(name) == created
    assert await agents.find_sub_account_by_name(unique("nobody")) is None

    await agents.delete_sub_account(created.id)
    assert await agents.find_sub_account_by_name(name) is None
    with pytest.raises(NotFound):
        await agents.delete_sub_account(created.id)


async def test_agents_and_numbers_live_in_their_sub_account(
    providers: Providers, agent_sub_account: str
) -> None:
    agents = providers.agents
    agent = await agents.create_agent(agent_sub_account, agent_body(), unique("key"))
    assert agent.name == "Front desk" and agent.voice_mode == "hosted" and agent.voice == "alloy"
    assert await agents.list_agents(agent_sub_account) == [agent]

    number = await agents.buy_number(
        agent_sub_account, NumberCreate(country="US", agent_id=agent.id), unique("key")
    )
    assert number.country == "US" and number.agent_id == agent.id and number.phone_number.startswith("+")
    assert await agents.list_numbers(agent_sub_account) == [number]

    await agents.release_number(agent_sub_account, number.id)
    assert await agents.list_numbers(agent_sub_account) == []
    with pytest.raises(NotFound):
        await agents.release_number(agent_sub_account, number.id)

    await agents.delete_agent(agent_sub_account, agent.id)
    assert await agents.list_agents(agent_sub_account) == []
    with pytest.raises(NotFound):
        await agents.delete_agent(agent_sub_account, agent.id)


async def test_a_sub_account_does_not_see_another_ones_agents(
    providers: Providers, agent_sub_account: str
) -> None:
    agents = providers.agents
    other = await agents.create_sub_account(AgentSubAccountCreate(name=unique("agents")), unique("key"))
    try:
        agent = await agents.create_agent(agent_sub_account, agent_body(), unique("key"))

        assert await agents.list_agents(other.id) == []
        with pytest.raises(NotFound):
            await agents.delete_agent(other.id, agent.id)
    finally:
        await agents.delete_sub_account(other.id)


async def test_carrier_numbers_are_routed_to_the_agent(providers: Providers, agent_sub_account: str) -> None:
    number = (await providers.carrier.list_inventory("IN", limit=1)).objects[0].number
    await providers.carrier.purchase_number(NumberPurchase(number=number), unique("key"))
    try:
        body = agent_body().model_copy(update={"phone_numbers": [number]})

        agent = await providers.agents.create_agent(agent_sub_account, body, unique("key"))

        assert agent.phone_numbers == [number]
    finally:
        await providers.carrier.release_number(number)


async def test_idempotent_create_replays_the_same_agent(providers: Providers, agent_sub_account: str) -> None:
    agents = providers.agents
    key = unique("key")

    first = await agents.create_agent(agent_sub_account, agent_body(), key)
    again = await agents.create_agent(agent_sub_account, agent_body(), key)

    assert again == first
    assert await agents.list_agents(agent_sub_account) == [first]
    with pytest.raises(Conflict) as caught:
        await agents.create_agent(agent_sub_account, agent_body("Night shift"), key)
    assert type(caught.value) is Conflict


@pytest.fixture(scope="module")
def small_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox of its own whose agent platform allows only two sub-accounts."""
    with run_sandbox(Path(tmp_path_factory.mktemp("small")), sandbox_agent_sub_account_limit="2") as running:
        yield running


async def test_the_sub_account_limit_is_reported_as_limit_reached(small_sandbox: Sandbox) -> None:
    clients = Providers.from_settings(small_sandbox.settings)
    try:
        for _ in range(2):
            await clients.agents.create_sub_account(
                AgentSubAccountCreate(name=unique("agents")), unique("key")
            )

        with pytest.raises(LimitReached) as caught:
            await clients.agents.create_sub_account(
                AgentSubAccountCreate(name=unique("agents")), unique("key")
            )
        assert caught.value.status_code == 409
    finally:
        await clients.aclose()
