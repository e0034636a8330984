"""How any provider answer maps to the error a caller acts on, including bodies that are not ours."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import httpx
import pytest
from pydantic import SecretStr

from providers.agents import AgentPlatformClient
from providers.carrier import CarrierClient
from providers.errors import (
    Conflict,
    CoolOffInEffect,
    InvalidRequest,
    LimitReached,
    NotFound,
    ProviderError,
    RateLimited,
    Unavailable,
)
from providers.http import error_for_response

TOKEN = SecretStr("token-0123456789")

REQUEST = httpx.Request(
    "POST",
    "https://provider.example/api/v1/accounts/MA_1/sub-accounts/?signature=query-secret",
    headers={"X-Auth-Token": "header-secret"},
)


def answer(status: int, body: Any = None, *, text: str | None = None, **headers: str) -> httpx.Response:
    if text is not None:
        return httpx.Response(status, text=text, headers=headers, request=REQUEST)
    return httpx.Response(status, json=body, headers=headers, request=REQUEST)


def error_body(kind: str, message: str, field: str | None = None) -> dict[str, Any]:
    return {"error": {"type": kind, "message": message, "field": field}}


@pytest.mark.parametrize(
    ("status", "kind", "expected"),
    [
        (400, "invalid_request", InvalidRequest),
        (422, "invalid_request", InvalidRequest),
        (404, "not_found", NotFound),
        (409, "conflict", Conflict),
        (409, "limit_reached", LimitReached),
        (409, "request_in_progress", Unavailable),
        (429, "rate_limited", RateLimited),
        (500, "unavailable", Unavailable),
        (502, "unavailable", Unavailable),
        (503, "unavailable", Unavailable),
    ],
)
def test_each_status_maps_to_the_error_callers_act_on(
    status: int, kind: str, expected: type[ProviderError]
) -> None:
    error = error_for_response(answer(status, error_body(kind, "the provider says why")))

    assert type(error) is expected
    assert error.status_code == status
    assert str(error) == f"POST /api/v1/accounts/MA_1/sub-accounts/ -> {status}: the provider says why"


def test_validation_error_names_the_field() -> None:
    error = error_for_response(answer(422, error_body("invalid_request", "email is required", "email")))

    assert isinstance(error, InvalidRequest) and error.field == "email"


@pytest.mark.parametrize(
    ("status", "explanation"),
    [(401, "provider rejected our credentials"), (403, "provider refused this to our account")],
)
def test_refusals_are_a_request_we_must_not_retry_and_echo_nothing(status: int, explanation: str) -> None:
    error = error_for_response(answer(status, error_body("invalid_request", "bad token header-secret")))

    assert type(error) is InvalidRequest and error.status_code == status
    assert str(error).endswith(f"-> {status}: {explanation}")
    assert "header-secret" not in str(error)


def test_hidden_values_never_show() -> None:
    body = error_body("not_found", "no sub-account of MA_1 is called that")

    error = error_for_response(answer(404, body), hide={"MA_1": "{auth_id}"})

    assert str(error) == (
        "POST /api/v1/accounts/{auth_id}/sub-accounts/ -> 404: no sub-account of {auth_id} is called that"
    )


@pytest.mark.parametrize(
    ("body", "message", "field"),
    [
        ({"detail": "Sub-account not found"}, "Sub-account not found", None),
        ({"detail": [{"loc": ["body", "name"], "msg": "Field required"}]}, "Field required", "name"),
        ({"message": "Number not found"}, "Number not found", None),
        ({"error": "not_found", "message": "no such number"}, "no such number", None),
    ],
)
def test_agent_platform_and_other_bodies_are_understood(
    body: dict[str, Any], message: str, field: str | None
) -> None:
    error = error_for_response(answer(404, body))

    assert type(error) is NotFound and error.field == field
    assert str(error).endswith(f"-> 404: {message}")


def test_the_cool_off_answer_says_until_when() -> None:
    until = datetime(2026, 12, 14, 9, 30, tzinfo=UTC)
    body = {
        "error": {
            "type": "did_cool_off_in_effect",
            "message": "the number had a call in the last 15 days",
            "cool_off_until": until.isoformat(),
            "cool_off_remaining_seconds": 3600,
        }
    }

    error = error_for_response(answer(409, body))

    assert isinstance(error, CoolOffInEffect) and error.cool_off_until == until


def test_the_cool_off_fields_may_sit_beside_the_code() -> None:
    body = {"error": "did_cool_off_in_effect", "cool_off_remaining_seconds": 3600}

    error = error_for_response(answer(409, body))

    assert isinstance(error, CoolOffInEffect)
    expected = datetime.now(UTC) + timedelta(seconds=3600)
    assert abs(error.cool_off_until - expected) < timedelta(seconds=5)


def test_a_cool_off_code_without_a_date_is_a_plain_conflict() -> None:
    error = error_for_response(answer(409, {"error": {"type": "did_cool_off_in_effect", "message": "wait"}}))

    assert type(error) is Conflict


@pytest.mark.parametrize("status", [502, 503, 504])
def test_a_body_that_is_not_json_still_maps(status: int) -> None:
    error = error_for_response(answer(status, text="<html><h1>Bad Gateway</h1></html>"))

    assert type(error) is Unavailable
    assert str(error).startswith(f"POST /api/v1/accounts/MA_1/sub-accounts/ -> {status}: ")


def test_a_client_error_with_a_foreign_body_is_still_invalid() -> None:
    error = error_for_response(answer(400, {"detail": "nope"}))

    assert type(error) is InvalidRequest and error.field is None


def test_messages_carry_neither_query_nor_headers() -> None:
    for status in (400, 401, 404, 409, 429, 503):
        error = error_for_response(answer(status, text="oops"))
        assert "query-secret" not in str(error) and "header-secret" not in str(error)
        assert "query-secret" not in repr(error) and "header-secret" not in repr(error)


@pytest.mark.parametrize(
    ("header", "expected"),
    [("7", 7.0), ("0.5", 0.5), (None, 1.0), ("soon", 1.0), ("-3", 0.0)],
)
def test_retry_after_comes_from_the_header_in_seconds(header: str | None, expected: float) -> None:
    headers = {} if header is None else {"Retry-After": header}
    error = error_for_response(answer(429, error_body("rate_limited", "slow down"), **headers))

    assert isinstance(error, RateLimited) and error.retry_after == expected


def test_retry_after_may_be_an_http_date() -> None:
    when = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    error = error_for_response(answer(429, error_body("rate_limited", "slow down"), **{"Retry-After": when}))

    assert isinstance(error, RateLimited) and 25 <= error.retry_after <= 30


def recording() -> tuple[list[httpx.Request], httpx.MockTransport]:
    """A transport answering 204 to everything, and the requests it was sent."""
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(204)

    return sent, httpx.MockTransport(record)


@pytest.mark.parametrize("value", [".", "..", ""])
async def test_dot_segments_are_refused_before_anything_is_sent(value: str) -> None:
    sent, transport = recording()
    async with httpx.AsyncClient(transport=transport) as http:
        carrier = CarrierClient(http, base_url="https://c.example/api/v1", auth_id="MA_1", auth_token=TOKEN)
        agents = AgentPlatformClient(http, base_url="https://a.example/v1", api_key=TOKEN)
        with pytest.raises(ValueError, match="path segment"):
            await carrier.delete_sub_account(value)
        with pytest.raises(ValueError, match="path segment"):
            await agents.delete_agent("sub_1", value)
    assert sent == []


async def test_other_segments_are_escaped_whole() -> None:
    sent, transport = recording()
    async with httpx.AsyncClient(transport=transport) as http:
        carrier = CarrierClient(http, base_url="https://c.example/api/v1", auth_id="MA_1", auth_token=TOKEN)
        await carrier.delete_sub_account("../MA_1")
        await carrier.release_number("+918000000001")
    assert [request.url.raw_path for request in sent] == [
        b"/api/v1/accounts/MA_1/sub-accounts/..%2FMA_1",
        b"/api/v1/Account/MA_1/numbers/%2B918000000001",
    ]
