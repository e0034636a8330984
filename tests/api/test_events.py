"""The callback log over HTTP: every callback with each delivery attempt and its answer, filters, and a
redelivery under the same ``webhook-id``; a reseller sees only its own."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from store import api_keys
from tests.api.harness import RunningApi, onboarding_body
from tests.api.test_lifecycle import live_api, wait_for, worker
from tests.cli.test_onboard_commands import onboard
from tests.support.receiver import CALLBACK_TOKEN, WebhookReceiver, run_receiver

__all__ = ["live_api", "worker"]

pytestmark = pytest.mark.slow


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    with run_receiver() as running:
        yield running


async def settled(client: httpx.AsyncClient, onboarding_id: str) -> list[Any]:
    """The completed onboarding's callbacks once all are delivered, oldest first."""
    deadline = time.monotonic() + 60
    while True:
        page = (await client.get("/v1/events", params={"onboarding_id": onboarding_id})).json()
        events = list(reversed(page["items"]))
        done = events and events[-1]["onboarding_status"] == "completed"
        if done and all(event["state"] == "delivered" for event in events):
            return events
        assert time.monotonic() < deadline, f"callbacks never settled: {events}"
        await asyncio.sleep(0.2)


async def test_the_log_shows_each_attempt_and_a_redelivery_goes_out_again(
    live_api: RunningApi, worker: None, receiver: WebhookReceiver
) -> None:
    receiver.statuses = [500]  # the first attempt of the first callback fails
    body = onboarding_body(f"ev-{uuid.uuid4().hex[:6]}", kyc_mode="personal_use", callback_url=receiver.url)
    async with live_api.async_client() as client:
        onboarding_id = (await client.post("/v1/onboardings", json=body)).json()["id"]
        await wait_for(client, onboarding_id, {"completed"})
        events = await settled(client, onboarding_id)

        first = events[0]
        assert first["id"] == f"{onboarding_id}:1" and first["type"] == "onboarding.status_changed"
        assert first["onboarding_status"] == "creating_sub_account"
        assert [(a["answered"], a["redelivery"]) for a in first["attempts"]] == [(500, False), (204, False)]
        assert first["attempts"][0]["error"] == "callback to 127.0.0.1 answered 500"
        assert [event["onboarding_status"] for event in events][-1] == "completed"
        assert first["destination"] == httpx.URL(receiver.url).netloc.decode()
        assert CALLBACK_TOKEN not in str(events)

        mine = {"onboarding_id": onboarding_id}
        delivered = await client.get("/v1/events", params={**mine, "state": "delivered"})
        pending = await client.get("/v1/events", params={**mine, "state": "pending"})
        assert len(delivered.json()["items"]) == len(events) and pending.json()["items"] == []
        page = (await client.get("/v1/events", params={**mine, "limit": 4})).json()
        rest = (await client.get("/v1/events", params={**mine, "cursor": page["next_cursor"]})).json()
        assert [e["id"] for e in page["items"] + rest["items"]] == [e["id"] for e in reversed(events)]

        sent_before = len(receiver.received)
        redelivery = await client.post(f"/v1/events/{first['id']}/redeliver")
        assert redelivery.status_code == 202, redelivery.text
        assert redelivery.json()["workflow_id"].startswith(f"redeliver-{first['id']}-")
        deadline = time.monotonic() + 30
        while len((await client.get(f"/v1/events/{first['id']}")).json()["attempts"]) < 3:
            assert time.monotonic() < deadline, "the redelivery never went out"
            await asyncio.sleep(0.2)
        again = (await client.get(f"/v1/events/{first['id']}")).json()
    assert again["attempts"][-1]["redelivery"] is True and again["attempts"][-1]["answered"] == 204
    resent = receiver.received[sent_before:]
    assert [r.headers["webhook-id"] for r in resent] == [first["id"]]
    assert resent[0].event["data"]["status"] == "creating_sub_account"

    listed = onboard("events", "list", "--onboarding", onboarding_id, api_url=live_api.url)
    assert listed.returncode == 0, listed.stderr
    assert f"{first['id']} " in listed.stdout and "500 204 204*" in listed.stdout
    unknown = onboard("events", "redeliver", f"{onboarding_id}:99", api_url=live_api.url)
    assert (unknown.returncode, unknown.stderr.strip()) == (1, "error: no such callback")


async def test_another_resellers_callbacks_are_not_found_and_unknown_filters_are_refused(
    live_api: RunningApi, worker: None, receiver: WebhookReceiver
) -> None:
    body = onboarding_body(f"ev-{uuid.uuid4().hex[:6]}", kyc_mode="personal_use", callback_url=receiver.url)
    async with live_api.async_client() as client:
        onboarding_id = (await client.post("/v1/onboardings", json=body)).json()["id"]
        await wait_for(client, onboarding_id, {"completed"})
        [event, *_] = await settled(client, onboarding_id)
        unknown = await client.get("/v1/events", params={"colour": "red", "state": "delivered"})
        bad_state = await client.get("/v1/events", params={"state": "lost"})
    async with live_api.async_client(api_keys.create(live_api.engine, "other")) as other:
        read = await other.get(f"/v1/events/{event['id']}")
        redeliver = await other.post(f"/v1/events/{event['id']}/redeliver")
        listed = await other.get("/v1/events")
    assert (read.status_code, redeliver.status_code) == (404, 404)
    assert listed.json()["items"] == []
    assert unknown.status_code == 422
    assert [f["field"] for f in unknown.json()["error"]["fields"]] == ["colour"]
    assert bad_state.status_code == 422
