"""The agent-platform wire format: sub-accounts (with their limit), agents and numbers per sub-account."""

from __future__ import annotations

import httpx

from tests.sandbox.conftest import TUNED_AGENT_LIMIT, agents_client, buy_number, unique
from tests.support.processes import Sandbox


def test_agents_and_numbers_live_in_their_sub_account(
    agents: httpx.Client, carrier: httpx.Client, sandbox: Sandbox
) -> None:
    name = unique("SA_AGENTS")
    sub = agents.post("/sub-accounts", json={"name": name})
    assert sub.status_code == 201
    sub_id = sub.json()["id"]
    scoped = {"X-Sub-Account-Id": sub_id}
    assert name in [item["name"] for item in agents.get("/sub-accounts").json()["data"]]

    carrier_number = buy_number(carrier)
    body = {
        "name": "Front desk",
        "voiceMode": "hosted",
        "systemPrompt": "Be kind.",
        "phoneNumbers": [carrier_number],
    }
    agent = agents.post("/agents", json=body, headers=scoped)
    assert agent.status_code == 201 and agent.json()["phoneNumbers"] == [carrier_number]
    agent_id = agent.json()["id"]
    number = agents.post("/numbers", json={"country": "IN", "agentId": agent_id}, headers=scoped)
    assert number.status_code == 201 and number.json()["agentId"] == agent_id
    assert number.json()["phoneNumber"].startswith("+91")

    assert [a["id"] for a in agents.get("/agents", headers=scoped).json()["data"]] == [agent_id]
    assert agent_id not in [a["id"] for a in agents.get("/agents").json()["data"]]
    assert agents.delete(f"/agents/{agent_id}").status_code == 404
    assert agents.get("/agents", headers={"X-Sub-Account-Id": "sub_nope"}).status_code == 404

    assert agents.delete(f"/agents/{agent_id}", headers=scoped).status_code == 204
    assert agents.get("/numbers", headers=scoped).json()["data"][0]["agentId"] is None
    number_id = number.json()["id"]
    assert agents.delete(f"/numbers/{number_id}", headers=scoped).status_code == 204
    assert agents.delete(f"/numbers/{number_id}", headers=scoped).status_code == 404

    assert agents.delete(f"/sub-accounts/{sub_id}").status_code == 204
    assert agents.get("/agents", headers=scoped).status_code == 404


def test_agent_validation_names_the_wire_field(agents: httpx.Client) -> None:
    sub_id = agents.post("/sub-accounts", json={"name": unique("v")}).json()["id"]
    scoped = {"X-Sub-Account-Id": sub_id}
    missing = agents.post("/agents", json={"name": "x", "voiceMode": "hosted"}, headers=scoped)
    assert missing.status_code == 422 and missing.json()["error"]["field"] == "systemPrompt"
    stranger = {"name": "x", "systemPrompt": "hi", "phoneNumbers": ["+15550000000"]}
    refused = agents.post("/agents", json=stranger, headers=scoped)
    assert refused.status_code == 422 and refused.json()["error"]["field"] == "phoneNumbers"
    assert (
        agents.post("/numbers", json={"country": "in"}, headers=scoped).json()["error"]["field"] == "country"
    )
    assert agents.post("/sub-accounts", json={"name": "nested"}, headers=scoped).status_code == 409


def test_sub_account_limit_is_enforced(tuned_sandbox: Sandbox) -> None:
    with agents_client(tuned_sandbox) as agents:
        existing = len(agents.get("/sub-accounts").json()["data"])
        for index in range(existing, TUNED_AGENT_LIMIT):
            assert agents.post("/sub-accounts", json={"name": f"limit-{index}"}).status_code == 201
        refused = agents.post("/sub-accounts", json={"name": "one-too-many"})
        assert refused.status_code == 409 and refused.json()["error"]["type"] == "limit_reached"
        first = agents.get("/sub-accounts").json()["data"][0]["id"]
        assert agents.delete(f"/sub-accounts/{first}").status_code == 204
        assert agents.post("/sub-accounts", json={"name": "room-again"}).status_code == 201
