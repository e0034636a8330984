"""The official SDK drives the sandbox's agent platform: every documented call it makes is served and its
models parse our answers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from agentphone import (  # type: ignore[import-untyped]
    Agent,
    AgentList,
    AgentPhone,
    AgentPhoneError,
    AuthenticationError,
    NotFoundError,
    PhoneNumber,
    PhoneNumberList,
)

from tests.contract_agents.conftest import sdk, unique
from tests.support.processes import Sandbox, run_sandbox

PUBLISHED_LIMIT = 25
AGENT = {
    "name": "Front desk",
    "description": "Books visits",
    "voice_mode": "hosted",
    "model_tier": "balanced",
    "system_prompt": "Book appointments.",
    "begin_message": "Hello!",
    "voice": "alloy",
}


def test_sub_accounts_are_created_listed_renamed_and_deleted(phone: AgentPhone) -> None:
    name = unique("contract")
    created = phone.sub_accounts.create(name=name)
    assert created["name"] == name and created["id"]

    assert {"id": created["id"], "name": name} in [
        {"id": s["id"], "name": s["name"]} for s in phone.sub_accounts.list(limit=100)
    ]
    renamed = phone.sub_accounts.update(created["id"], name=f"{name}-renamed")
    assert (renamed["id"], renamed["name"]) == (created["id"], f"{name}-renamed")

    assert phone.sub_accounts.delete(created["id"]) == {}
    assert created["id"] not in [s["id"] for s in phone.sub_accounts.list(limit=100)]
    with pytest.raises(NotFoundError, match="sub-account not found"):
        phone.sub_accounts.delete(created["id"])


def test_numbers_are_bought_listed_and_released(scoped: AgentPhone) -> None:
    bought = scoped.numbers.buy(country="US", type="sms", external_id="customer-1")
    assert isinstance(bought, PhoneNumber)
    assert (bought.country, bought.status, bought.agent_id) == ("US", "active", None)
    assert bought.phone_number.startswith("+1") and bought.external_id == "customer-1"

    listed = scoped.numbers.list()
    assert isinstance(listed, PhoneNumberList)
    assert (listed.data, listed.has_more, listed.total) == ([bought], False, 1)

    scoped.numbers.release(bought.id)
    assert scoped.numbers.list().data == []
    with pytest.raises(NotFoundError):
        scoped.numbers.release(bought.id)


def test_agents_are_created_read_listed_and_deleted(scoped: AgentPhone) -> None:
    created = scoped.agents.create(**AGENT)
    assert isinstance(created, Agent)
    assert {key: getattr(created, key) for key in AGENT} == AGENT and created.numbers == []

    assert scoped.agents.get(created.id) == created
    listed = scoped.agents.list()
    assert isinstance(listed, AgentList)
    assert (listed.data, listed.has_more, listed.total) == ([created], False, 1)

    assert scoped.agents.delete(created.id) == {}
    with pytest.raises(NotFoundError, match="agent not found"):
        scoped.agents.get(created.id)


def test_numbers_are_attached_to_agents(scoped: AgentPhone) -> None:
    agent = scoped.agents.create(**AGENT)
    with_agent = scoped.numbers.buy(country="IN", agent_id=agent.id)
    spare = scoped.numbers.buy(country="IN")
    assert with_agent.agent_id == agent.id

    scoped.agents.attach_number(agent.id, spare.id)
    attached = scoped.agents.get(agent.id).numbers
    assert [(n.id, n.phone_number, n.status) for n in attached] == [
        (with_agent.id, with_agent.phone_number, "active"),
        (spare.id, spare.phone_number, "active"),
    ]

    assert scoped.agents.detach_number(agent.id, with_agent.id) == {}
    assert [n.id for n in scoped.agents.get(agent.id).numbers] == [spare.id]
    assert {n.id: n.agent_id for n in scoped.numbers.list().data} == {with_agent.id: None, spare.id: agent.id}


def test_a_sub_account_sees_only_its_own(phone: AgentPhone, scoped: AgentPhone) -> None:
    agent = scoped.agents.create(**AGENT)

    assert agent.id not in [a.id for a in phone.agents.list(limit=100).data]
    with pytest.raises(NotFoundError):
        phone.agents.get(agent.id)


def test_unpublished_routes_are_not_served(scoped: AgentPhone) -> None:
    number = scoped.numbers.buy(country="US")

    with pytest.raises(AgentPhoneError) as caught:
        scoped.numbers.get(number.id)  # the SDK has it; provider-api.md does not

    assert caught.value.status == 405


def test_a_wrong_key_is_refused(sandbox: Sandbox) -> None:
    with (
        AgentPhone(api_key="sk_live_wrong", base_url=sandbox.url) as stranger,
        pytest.raises(AuthenticationError),
    ):
        stranger.sub_accounts.list()


@pytest.fixture(scope="module")
def fresh_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox of its own, with the default (published) sub-account limit."""
    with run_sandbox(Path(tmp_path_factory.mktemp("contract-agents"))) as running:
        yield running


def test_at_most_25_sub_accounts_per_master_account(fresh_sandbox: Sandbox) -> None:
    with sdk(fresh_sandbox) as phone:
        ids = [phone.sub_accounts.create(name=f"sub {i}")["id"] for i in range(PUBLISHED_LIMIT)]

        with pytest.raises(AgentPhoneError) as caught:
            phone.sub_accounts.create(name="one too many")
        assert caught.value.status == 409 and "limit" in caught.value.message
        assert [s["id"] for s in phone.sub_accounts.list(limit=100)] == ids

        phone.sub_accounts.delete(ids[0])
        assert phone.sub_accounts.create(name="room again")["id"] not in ids
