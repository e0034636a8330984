"""The agent-platform client against the sandbox: sub-accounts, agents and numbers, scoped per sub-account."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from providers import Providers
from providers.agent_models import AgentCreate, AgentSubAccountCreate, NumberCreate
from providers.agents import PAGE_SIZE
from providers.errors import LimitReached, NotFound
from tests.providers.conftest import unique
from tests.support.processes import Sandbox, run_sandbox


def agent_body(name: str = "Front desk") -> AgentCreate:
    return AgentCreate(
        name=name,
        description="Books visits",
        voice_mode="hosted",
        model_tier="balanced",
        system_prompt="Book appointments.",
        begin_message="Hello!",
        voice="alloy",
    )


async def test_sub_accounts_are_created_listed_found_renamed_and_deleted(providers: Providers) -> None:
    agents = providers.agents
    name = unique("agents")
    created = await agents.create_sub_account(AgentSubAccountCreate(name=name))
    assert created.name == name

    assert created in await agents.list_sub_accounts()
    assert await agents.find_sub_account_by_name(name) == created
    assert await agents.find_sub_account_by_name(unique("nobody")) is None
    renamed = await agents.rename_sub_account(created.id, f"{name}-renamed")
    assert (renamed.id, renamed.name) == (created.id, f"{name}-renamed")
    assert await agents.find_sub_account_by_name(f"{name}-renamed") == renamed

    await agents.delete_sub_account(created.id)
    assert await agents.find_sub_account_by_name(f"{name}-renamed") is None
    with pytest.raises(NotFound):
        await agents.delete_sub_account(created.id)


async def test_agents_and_numbers_live_in_their_sub_account(
    providers: Providers, agent_sub_account: str
) -> None:
    agents = providers.agents
    agent = await agents.create_agent(agent_sub_account, agent_body(), unique("key"))
    expected = agent_body().model_dump()
    assert agent.model_dump(include=set(expected)) == expected and agent.numbers == []
    assert await agents.list_agents(agent_sub_account) == [agent]

    number = await agents.buy_number(agent_sub_account, NumberCreate(country="US", agent_id=agent.id))
    assert number.country == "US" and number.agent_id == agent.id and number.phone_number.startswith("+1")
    assert await agents.list_numbers(agent_sub_account) == [number]
    assert [n.id for n in (await agents.get_agent(agent_sub_account, agent.id)).numbers] == [number.id]

    await agents.release_number(agent_sub_account, number.id)
    assert await agents.list_numbers(agent_sub_account) == []
    with pytest.raises(NotFound):
        await agents.release_number(agent_sub_account, number.id)

    await agents.delete_agent(agent_sub_account, agent.id)
    assert await agents.list_agents(agent_sub_account) == []
    with pytest.raises(NotFound):
        await agents.get_agent(agent_sub_account, agent.id)
    with pytest.raises(NotFound):
        await agents.delete_agent(agent_sub_account, agent.id)


async def test_numbers_are_attached_and_detached(providers: Providers, agent_sub_account: str) -> None:
    agents = providers.agents
    agent = await agents.create_agent(agent_sub_account, agent_body())
    number = await agents.buy_number(agent_sub_account, NumberCreate(country="GB"))

    await agents.attach_number(agent_sub_account, agent.id, number.id)
    await agents.attach_number(agent_sub_account, agent.id, number.id)

    attached = (await agents.get_agent(agent_sub_account, agent.id)).numbers
    assert [(n.id, n.phone_number) for n in attached] == [(number.id, number.phone_number)]
    assert [n.agent_id for n in await agents.list_numbers(agent_sub_account)] == [agent.id]
    await agents.detach_number(agent_sub_account, agent.id, number.id)
    assert (await agents.get_agent(agent_sub_account, agent.id)).numbers == []
    with pytest.raises(NotFound):
        await agents.detach_number(agent_sub_account, agent.id, number.id)


async def test_lists_read_every_page(providers: Providers, agent_sub_account: str) -> None:
    agents = providers.agents
    count = PAGE_SIZE + 2
    created = [await agents.create_agent(agent_sub_account, agent_body(f"agent {i}")) for i in range(count)]
    bought = [await agents.buy_number(agent_sub_account, NumberCreate(country="DE")) for _ in range(count)]

    assert await agents.list_agents(agent_sub_account) == created
    assert await agents.list_numbers(agent_sub_account) == bought


async def test_a_sub_account_does_not_see_another_ones_agents(
    providers: Providers, agent_sub_account: str
) -> None:
    agents = providers.agents
    other = await agents.create_sub_account(AgentSubAccountCreate(name=unique("agents")))
    try:
        agent = await agents.create_agent(agent_sub_account, agent_body())

        assert await agents.list_agents(other.id) == []
        with pytest.raises(NotFound):
            await agents.get_agent(other.id, agent.id)
        with pytest.raises(NotFound):
            await agents.delete_agent(other.id, agent.id)
    finally:
        await agents.delete_sub_account(other.id)


@pytest.fixture(scope="module")
def small_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox of its own whose agent platform allows only a page and a half of sub-accounts."""
    limit = str(PAGE_SIZE + PAGE_SIZE // 2)
    with run_sandbox(
        Path(tmp_path_factory.mktemp("small")), sandbox_agent_sub_account_limit=limit
    ) as running:
        yield running


async def test_every_sub_account_is_listed_and_the_limit_is_reported_as_limit_reached(
    small_sandbox: Sandbox,
) -> None:
    clients = Providers.from_settings(small_sandbox.settings)
    agents = clients.agents
    try:
        created = [
            await agents.create_sub_account(AgentSubAccountCreate(name=f"sub {i}")) for i in range(PAGE_SIZE)
        ]
        assert await agents.list_sub_accounts() == created  # a full page, then an empty one
        created += [
            await agents.create_sub_account(AgentSubAccountCreate(name=f"sub {i}"))
            for i in range(PAGE_SIZE, PAGE_SIZE + PAGE_SIZE // 2)
        ]
        assert await agents.list_sub_accounts() == created

        with pytest.raises(LimitReached) as caught:
            await agents.create_sub_account(AgentSubAccountCreate(name="one too many"), unique("key"))
        assert caught.value.status_code == 409
        assert await agents.find_sub_account_by_name("one too many") is None
    finally:
        await clients.aclose()
