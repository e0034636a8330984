"""Golden exchanges quoted from the vendor's notes: our client sends exactly that request and understands
the answer, and the sandbox answers in that shape."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from config import DEV_CARRIER_AUTH_ID
from providers.carrier import CarrierClient
from providers.errors import CoolOffInEffect
from tests.sandbox.conftest import CARRIER_HEADERS, buy_number, carrier_client, create_customer, path_number
from tests.support.processes import Sandbox

GOLDEN: dict[str, Any] = json.loads(
    (Path(__file__).parent / "golden" / "carrier_assign_subaccount.json").read_text()
)
ASSIGN, COOL_OFF = GOLDEN["assign"], GOLDEN["unassign_in_cool_off"]


def replaying(exchange: dict[str, Any], seen: list[httpx.Request]) -> CarrierClient:
    """Our client, talking to a provider that gives the golden ``exchange``'s answer."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(exchange["answer"]["status"], json=exchange["answer"]["body"])

    return CarrierClient(
        httpx.AsyncClient(transport=httpx.MockTransport(answer)),
        base_url="https://api.vobiz.ai/api/v1",
        auth_id=GOLDEN["auth_id"],
        auth_token=SecretStr("golden-token"),
    )


def assert_sent(request: httpx.Request, expected: dict[str, Any]) -> None:
    assert request.method == expected["method"]
    assert request.url.raw_path.decode() == expected["path"]
    assert all(name in request.headers for name in expected["headers"])  # case-insensitive
    assert (json.loads(request.content) if request.content else None) == expected["body"]


async def test_our_client_sends_the_golden_assignment() -> None:
    seen: list[httpx.Request] = []

    await replaying(ASSIGN, seen).assign_number_to_sub_account(GOLDEN["e164"], "SA_XXXXXX")

    [request] = seen
    assert_sent(request, ASSIGN["request"])
    assert request.headers["Content-Type"] == "application/json"
    assert (
        request.headers["X-Auth-ID"] == GOLDEN["auth_id"]
        and request.headers["X-Auth-Token"] == "golden-token"
    )


async def test_our_client_understands_the_golden_cool_off() -> None:
    seen: list[httpx.Request] = []

    with pytest.raises(CoolOffInEffect) as caught:
        await replaying(COOL_OFF, seen).unassign_number_from_sub_account(GOLDEN["e164"])

    assert_sent(seen[0], COOL_OFF["request"])
    assert caught.value.cool_off_until == datetime.fromisoformat(
        COOL_OFF["answer"]["body"]["error"]["cool_off_until"]
    )
    assert GOLDEN["auth_id"] not in str(caught.value) and "golden-token" not in str(caught.value)


def shape(value: Any) -> Any:
    """The keys of ``value``, nested; leaves reduced to nothing."""
    return {key: shape(inner) for key, inner in value.items()} if isinstance(value, dict) else None


def test_the_sandbox_answers_in_the_golden_shape(sandbox: Sandbox) -> None:
    with carrier_client(sandbox) as carrier:
        sub = create_customer(carrier)
        e164 = buy_number(carrier)
        path = f"/account/{DEV_CARRIER_AUTH_ID}/numbers/{path_number(e164)}/assign-subaccount"

        assigned = carrier.post(path, json={"sub_account_id": sub["auth_id"]}, headers=CARRIER_HEADERS)
        assert assigned.status_code == ASSIGN["answer"]["status"]
        assert shape(assigned.json()) == shape(ASSIGN["answer"]["body"])

        httpx.post(f"{sandbox.url}/_sandbox/numbers/{path_number(e164)}/calls").raise_for_status()
        refused = carrier.delete(path)
        assert refused.status_code == COOL_OFF["answer"]["status"]
        assert shape(refused.json()) == shape(COOL_OFF["answer"]["body"])
        assert refused.json()["error"]["type"] == COOL_OFF["answer"]["body"]["error"]["type"]
