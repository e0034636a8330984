"""The agent-platform wire format: sub-accounts (with their limit), agents and numbers per sub-account."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.sandbox.conftest import TUNED_AGENT_LIMIT, agents_client, unique
from tests.support.processes import Sandbox, run_sandbox


def new_sub_account(agents: httpx.Client) -> dict[str, str]:
    """A fresh sub-account's targeting header."""
    created = agents.post("/sub-accounts", json={"name": unique("agents")})
    assert created.status_code == 201, created.text
    return {"X-Sub-Account-Id": created.json()["id"]}


def test_sub_accounts_are_created_listed_renamed_and_deleted(agents: httpx.Client) -> None:
    name = unique("SA_AGENTS")
    created = agents.post("/sub-accounts", json={"name": name})
    assert created.status_code == 201
    sub_id = created.json()["id"]
    listed = agents.get("/sub-accounts", params={"limit": 100})
    assert set(listed.json()) == {"data"}
    assert {"id": sub_id, "name": name} in [{"id": s["id"], "name": s["name"]} for s in listed.json()["data"]]

    renamed = agents.patch(f"/sub-accounts/{sub_id}", json={"name": "renamed"})
    assert renamed.status_code == 200 and renamed.json()["name"] == "renamed"
    assert len(agents.get("/sub-accounts", params={"limit": 1}).json()["data"]) == 1

    assert agents.delete(f"/sub-accounts/{sub_id}").status_code == 204
    gone = agents.patch(f"/sub-accounts/{sub_id}", json={"name": "again"})
    assert gone.status_code == 404 and gone.json() == {"detail": "sub-account not found"}
    assert agents.get("/agents", headers={"X-Sub-Account-Id": sub_id}).status_code == 404


def test_agents_and_numbers_live_in_their_sub_account(agents: httpx.Client) -> None:
    scoped = new_sub_account(agents)
    body = {
        "name": "Front desk",
        "description": "Books visits",
        "voiceMode": "hosted",
        "modelTier": "balanced",
        "systemPrompt": "Be kind.",
        "beginMessage": "Hello!",
        "voice": "alloy",
    }
    agent = agents.post("/agents", json=body, headers=scoped)
    assert agent.status_code == 201
    assert {key: agent.json()[key] for key in body} == body and agent.json()["numbers"] == []
    agent_id = agent.json()["id"]

    bought = agents.post(
        "/numbers", json={"country": "IN", "agentId": agent_id, "externalId": "cust-1"}, headers=scoped
    )
    assert bought.status_code == 201
    number = bought.json()
    assert number["agentId"] == agent_id and number["status"] == "active" and number["externalId"] == "cust-1"
    assert number["phoneNumber"].startswith("+91") and number["country"] == "IN" and number["createdAt"]
    attached = agents.get(f"/agents/{agent_id}", headers=scoped).json()["numbers"]
    assert attached == [
        {"id": number["id"], "phoneNumber": number["phoneNumber"], "status": "active", "type": None}
    ]

    listed = agents.get("/agents", headers=scoped).json()
    assert [a["id"] for a in listed["data"]] == [agent_id] and listed["total"] == 1 and not listed["hasMore"]
    assert agent_id not in [a["id"] for a in agents.get("/agents").json()["data"]]
    assert agents.get(f"/agents/{agent_id}").status_code == 404
    assert agents.delete(f"/agents/{agent_id}").status_code == 404
    assert agents.get("/agents", headers={"X-Sub-Account-Id": "sub_nope"}).json() == {
        "detail": "sub-account not found"
    }

    assert agents.delete(f"/agents/{agent_id}", headers=scoped).status_code == 204
    assert agents.get("/numbers", headers=scoped).json()["data"][0]["agentId"] is None
    assert agents.delete(f"/numbers/{number['id']}", headers=scoped).status_code == 204
    assert agents.delete(f"/numbers/{number['id']}", headers=scoped).status_code == 404


def test_numbers_are_attached_and_detached(agents: httpx.Client) -> None:
    scoped = new_sub_account(agents)
    body = {"name": "a", "voiceMode": "hosted", "systemPrompt": "hi"}
    first, second = (agents.post("/agents", json=body, headers=scoped).json()["id"] for _ in range(2))
    number_id = agents.post("/numbers", json={"country": "US"}, headers=scoped).json()["id"]

    attached = agents.post(f"/agents/{first}/numbers", json={"numberId": number_id}, headers=scoped)
    assert attached.status_code == 200 and [n["id"] for n in attached.json()["numbers"]] == [number_id]
    again = agents.post(f"/agents/{first}/numbers", json={"numberId": number_id}, headers=scoped)
    assert again.status_code == 200
    taken = agents.post(f"/agents/{second}/numbers", json={"numberId": number_id}, headers=scoped)
    assert taken.status_code == 409 and "detail" in taken.json()
    assert agents.delete(f"/agents/{second}/numbers/{number_id}", headers=scoped).status_code == 404

    assert agents.delete(f"/agents/{first}/numbers/{number_id}", headers=scoped).status_code == 204
    assert agents.get(f"/agents/{first}", headers=scoped).json()["numbers"] == []
    assert agents.get("/numbers", headers=scoped).json()["data"][0]["agentId"] is None
    other = new_sub_account(agents)
    foreign = agents.post(f"/agents/{first}/numbers", json={"numberId": number_id}, headers=other)
    assert foreign.status_code == 404


def test_lists_are_paged_with_limit_and_offset(agents: httpx.Client) -> None:
    scoped = new_sub_account(agents)
    ids = [agents.post("/numbers", json={"country": "GB"}, headers=scoped).json()["id"] for _ in range(3)]

    first = agents.get("/numbers", params={"limit": 2}, headers=scoped).json()
    rest = agents.get("/numbers", params={"limit": 2, "offset": 2}, headers=scoped).json()

    assert (first["total"], first["hasMore"], rest["hasMore"]) == (3, True, False)
    assert [n["id"] for n in first["data"] + rest["data"]] == ids
    assert agents.get("/numbers", params={"limit": 101}, headers=scoped).status_code == 422


def test_errors_answer_detail_naming_the_wire_field(agents: httpx.Client) -> None:
    scoped = new_sub_account(agents)
    missing = agents.post("/agents", json={"name": "x", "voiceMode": "hosted"}, headers=scoped)
    assert missing.status_code == 422 and missing.json()["detail"].startswith("systemPrompt: ")
    invented = {"name": "x", "voiceMode": "hosted", "systemPrompt": "hi", "phoneNumbers": ["+15550000000"]}
    refused = agents.post("/agents", json=invented, headers=scoped)
    assert refused.status_code == 422 and refused.json()["detail"].startswith("phoneNumbers: ")
    lower = agents.post("/numbers", json={"country": "in"}, headers=scoped)
    assert lower.status_code == 422 and lower.json()["detail"].startswith("country: ")
    nested = agents.post("/sub-accounts", json={"name": "nested"}, headers=scoped)
    assert nested.status_code == 403 and set(nested.json()) == {"detail"}


def test_sub_account_limit_is_enforced(tuned_sandbox: Sandbox) -> None:
    with agents_client(tuned_sandbox) as agents:
        existing = len(agents.get("/sub-accounts", params={"limit": 100}).json()["data"])
        for index in range(existing, TUNED_AGENT_LIMIT):
            assert agents.post("/sub-accounts", json={"name": f"limit-{index}"}).status_code == 201
        refused = agents.post("/sub-accounts", json={"name": "one-too-many"})
        assert refused.status_code == 409
        assert refused.json() == {
            "detail": f"sub-account limit reached: at most {TUNED_AGENT_LIMIT} per account"
        }
        first = agents.get("/sub-accounts").json()["data"][0]["id"]
        assert agents.delete(f"/sub-accounts/{first}").status_code == 204
        assert agents.post("/sub-accounts", json={"name": "room-again"}).status_code == 201


SECOND_KEY = "sk_test_sandbox_second_master"


def test_every_configured_key_is_a_master_account_of_its_own_with_its_own_limit(tmp_path: Path) -> None:
    with (
        run_sandbox(
            tmp_path,
            agents_accounts=f"second:{SECOND_KEY}",
            sandbox_agent_sub_account_limit="2",
            sandbox_agent_sub_account_limits='{"second": 1}',
        ) as sandbox,
        agents_client(sandbox) as first,
        agents_client(sandbox) as second,
    ):
        second.headers["Authorization"] = f"Bearer {SECOND_KEY}"
        mine = first.post("/sub-accounts", json={"name": "first-1"}).json()["id"]
        assert first.post("/sub-accounts", json={"name": "first-2"}).status_code == 201
        assert first.post("/sub-accounts", json={"name": "first-3"}).status_code == 409
        theirs = second.post("/sub-accounts", json={"name": "second-1"})
        assert theirs.status_code == 201, "the first account's use does not count against the second"
        refused = second.post("/sub-accounts", json={"name": "second-2"})
        assert refused.status_code == 409
        assert refused.json() == {"detail": "sub-account limit reached: at most 1 per account"}

        assert [s["name"] for s in second.get("/sub-accounts").json()["data"]] == ["second-1"]
        other = {"X-Sub-Account-Id": mine}
        assert second.get("/agents", headers=other).status_code == 404
        assert second.delete(f"/sub-accounts/{mine}").status_code == 404
        assert second.patch(f"/sub-accounts/{mine}", json={"name": "x"}).status_code == 404
        agent = {"name": "Desk", "voiceMode": "hosted", "systemPrompt": "Hi."}
        master_agent = first.post("/agents", json=agent).json()["id"]
        assert second.get(f"/agents/{master_agent}").status_code == 404
        assert second.get("/agents").json()["total"] == 0

        stranger = httpx.get(f"{sandbox.url}/v1/sub-accounts", headers={"Authorization": "Bearer sk_x"})
        assert stranger.status_code == 401
        state = httpx.get(f"{sandbox.url}/_sandbox/state").json()
        assert state["agent_sub_accounts_by_account"] == {"default": 2, "second": 1}
