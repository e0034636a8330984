"""Hostile input to the reseller API: a clear 4xx naming the problem, and nothing created."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError
from temporalio.testing import WorkflowEnvironment

from api.schemas import OnboardingStart
from domain.onboarding import REFERENCE_MAX_LENGTH
from store.onboardings import find
from tests.api.harness import RunningApi, address_of, api_settings, onboarding_body, run_api


def _nested(part: str, **changes: Any) -> dict[str, Any]:
    base = onboarding_body("hostile")[part]
    assert isinstance(base, dict)
    return {**base, **changes}


def _without(field: str) -> dict[str, Any]:
    body = onboarding_body("hostile")
    del body[field]
    return body


HOSTILE: list[tuple[str, Any, str]] = [
    ("missing reference", _without("reference"), "reference"),
    ("missing numbers", _without("numbers"), "numbers"),
    ("missing agent", _without("agent"), "agent"),
    ("extra field", onboarding_body("hostile", plan="gold"), "plan"),
    (
        "extra nested field",
        onboarding_body("hostile", numbers=_nested("numbers", region="MH")),
        "numbers.region",
    ),
    ("reference is a number", onboarding_body(42), "reference"),
    ("reference with a slash", onboarding_body("../etc"), "reference"),
    ("reference with unicode", onboarding_body("café-1"), "reference"),
    ("reference with a trailing newline", onboarding_body("ref-1\n"), "reference"),
    ("reference with a control character", onboarding_body("ref\x07-1"), "reference"),
    ("reference with a tab", onboarding_body("ref\t1"), "reference"),
    ("reference too long", onboarding_body("r" * (REFERENCE_MAX_LENGTH + 1)), "reference"),
    (
        "count is a string",
        onboarding_body("hostile", numbers=_nested("numbers", count="two")),
        "numbers.count",
    ),
    ("count 0", onboarding_body("hostile", numbers=_nested("numbers", count=0)), "numbers.count"),
    ("count 10000", onboarding_body("hostile", numbers=_nested("numbers", count=10_000)), "numbers.count"),
    (
        "lower-case country",
        onboarding_body("hostile", numbers=_nested("numbers", country="in")),
        "numbers.country",
    ),
    ("numbers is a list", onboarding_body("hostile", numbers=[1, 2]), "numbers"),
    ("invalid email", onboarding_body("hostile", email="not-an-email"), "email"),
    ("email with a newline", onboarding_body("hostile", email="a@b.example\nBcc: x@y.example"), "email"),
    ("unknown business_type", onboarding_body("hostile", business_type="pirate_ship"), "business_type"),
    ("redirect flow without its URL", onboarding_body("hostile", kyc_flow="redirect"), "kyc_redirect_url"),
    ("unknown KYC flow", onboarding_body("hostile", kyc_flow="sms"), "kyc_flow"),
    (
        "unknown numbers provider",
        onboarding_body("hostile", numbers=_nested("numbers", provider="pigeon")),
        "numbers.provider",
    ),
    ("unknown kyc_mode", onboarding_body("hostile", kyc_mode="trust_me"), "kyc_mode"),
    ("newline in business_name", onboarding_body("hostile", business_name="Acme\nInjected"), "business_name"),
    ("NUL in business_name", onboarding_body("hostile", business_name="Acme\x00"), "business_name"),
    (
        "bidi override in business_name",
        onboarding_body("hostile", business_name="Acme\u202e"),
        "business_name",
    ),
    (
        "escape in agent name",
        onboarding_body("hostile", agent=_nested("agent", name="\x1b[31mred")),
        "agent.name",
    ),
    ("empty business_name", onboarding_body("hostile", business_name=""), "business_name"),
    ("huge business_name", onboarding_body("hostile", business_name="x" * 101), "business_name"),
    (
        "unknown voice_mode",
        onboarding_body("hostile", agent=_nested("agent", voice_mode="robot")),
        "agent.voice_mode",
    ),
    ("expiry of 0 days", onboarding_body("hostile", kyc_expires_in_days=0), "kyc_expires_in_days"),
    ("callback_url not a URL", onboarding_body("hostile", callback_url="call me"), "callback_url"),
    ("callback_url over ftp", onboarding_body("hostile", callback_url="ftp://hooks.example"), "callback_url"),
    (
        "callback_url with credentials",
        onboarding_body("hostile", callback_url="https://user:pw@hooks.example/x"),
        "callback_url",
    ),
    (
        "callback_url not RFC 3986",
        onboarding_body("hostile", callback_url="https://hooks.example/a b"),
        "callback_url",
    ),
    ("callback_url in capitals", onboarding_body("hostile", callback_url="HTTPS://A.B/"), "callback_url"),
    (
        "huge callback_url",
        onboarding_body("hostile", callback_url="https://hooks.example/" + "x" * 2000),
        "callback_url",
    ),
    ("body is a list", [onboarding_body("hostile")], "body"),
    ("body is null", None, "body"),
]


@pytest.mark.parametrize(("body", "field"), [(b, f) for _, b, f in HOSTILE], ids=[n for n, _, _ in HOSTILE])
def test_hostile_bodies_get_422_naming_the_field(api: RunningApi, body: Any, field: str) -> None:
    with api.client() as client:
        response = client.post("/v1/onboardings", json=body)
    assert response.status_code == 422, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request"
    assert field in [f["field"] for f in error["fields"]], error
    assert find(api.engine, "default", "hostile") is None


def test_customer_use_without_email_is_refused_with_a_reason(api: RunningApi) -> None:
    with api.client() as client:
        response = client.post("/v1/onboardings", json=onboarding_body("hostile", email=None))
    assert response.status_code == 422
    assert "email is required" in response.json()["error"]["fields"][0]["message"]


def test_unicode_names_are_welcome(api: RunningApi) -> None:
    body = onboarding_body(
        "unicode-1", business_name="Zürich Café 東京 🦷", agent=_nested("agent", name="Réception")
    )
    with api.client() as client:
        response = client.post("/v1/onboardings", json=body)
    assert response.status_code == 202, response.text


@pytest.mark.parametrize(
    "raw",
    [
        *(b'{"reference": "x",', b"not json at all", b"", b"\xff\xfe\x00garbage"),
        *(b'{"reference": "a"} trailing', b'{"reference": "\x80\x81"}'),
    ],
    ids=["truncated", "text", "empty", "binary", "trailing", "not-utf8"],
)
def test_malformed_json_gets_422_naming_the_body(api: RunningApi, raw: bytes) -> None:
    with api.client() as client:
        response = client.post("/v1/onboardings", content=raw, headers={"content-type": "application/json"})
    assert response.status_code == 422, response.text
    assert response.json()["error"]["fields"][0]["field"] == "body"


def test_huge_bodies_get_413_by_content_length(api: RunningApi) -> None:
    body = onboarding_body("huge", business_name="x" * api.settings.max_body_bytes)
    with api.client() as client:
        response = client.post("/v1/onboardings", json=body)
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"
    assert find(api.engine, "default", "huge") is None


def test_huge_bodies_get_413_when_streamed_without_length(api: RunningApi) -> None:
    def chunks() -> Any:
        yield b'{"reference": "huge-stream", "business_name": "'
        for _ in range(api.settings.max_body_bytes // 1024 + 1):
            yield b"x" * 1024
        yield b'"}'

    with api.client() as client:
        response = client.post(
            "/v1/onboardings", content=chunks(), headers={"content-type": "application/json"}
        )
    assert response.status_code == 413
    assert response.json()["error"]["type"] == "payload_too_large"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("actor=everyone", "actor"),
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=%%%", "cursor"),
        ("cursor=", "cursor"),
    ],
)
def test_bad_list_parameters_get_422(api: RunningApi, query: str, field: str) -> None:
    with api.client() as client:
        response = client.get(f"/v1/onboardings?{query}")
    assert response.status_code == 422
    assert [f["field"] for f in response.json()["error"]["fields"]] == [field]


def test_unknown_routes_and_methods_answer_in_the_error_shape(api: RunningApi) -> None:
    with api.client() as client:
        missing = client.get("/v2/nothing-here")
        wrong_method = client.delete("/v1/onboardings")
    assert missing.status_code == 404 and missing.json()["error"]["type"] == "not_found"
    assert wrong_method.status_code == 405 and wrong_method.json()["error"]["type"] == "method_not_allowed"
    assert wrong_method.headers["allow"] == "GET, POST"  # every route at the path, not only the first


_junk = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 20_000),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
)
_requests = st.fixed_dictionaries(
    {},
    optional={
        "reference": st.one_of(st.from_regex(r"prop-[a-z0-9]{1,8}", fullmatch=True), _junk),
        "business_name": st.one_of(st.text(min_size=1, max_size=20), _junk),
        "email": st.one_of(st.just("someone@example.com"), st.just("nope@"), _junk),
        "business_type": st.one_of(st.sampled_from(["individual", "llp", "bogus"]), _junk),
        "kyc_mode": st.one_of(st.sampled_from(["customer_use", "personal_use"]), _junk),
        "numbers": st.one_of(
            st.fixed_dictionaries(
                {"country": st.sampled_from(["IN", "US", "in", "IND"]), "count": st.integers(-1, 12)}
            ),
            _junk,
        ),
        "agent": st.one_of(
            st.fixed_dictionaries(
                {"name": st.text(min_size=1, max_size=10), "system_prompt": st.just("Hi.")}
            ),
            _junk,
        ),
        "kyc_expires_in_days": st.one_of(st.integers(-1, 100), _junk),
        "unexpected": _junk,
    },
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=_requests)
def test_the_api_accepts_exactly_what_validates_as_an_onboarding_request(
    api: RunningApi, body: dict[str, Any]
) -> None:
    try:
        OnboardingStart.model_validate(body)
        valid = True
    except ValidationError:
        valid = False
    response = httpx.post(
        f"{api.url}/v1/onboardings",
        json=body,
        headers={"Authorization": "Bearer test-api-default-key"},
        timeout=30,
    )
    if valid:
        assert response.status_code in {200, 202, 409}, (
            response.text
        )  # 409: an earlier example took the reference
    else:
        assert response.status_code == 422, response.text
        assert response.json()["error"]["fields"]


@pytest.mark.parametrize(
    ("callback_url", "reason"),
    [
        ("http://hooks.example.com/onboarding", "must use https"),
        ("https://localhost/onboarding", "must not point at a local host name"),
        ("https://127.0.0.1:8000/onboarding", "must not point at a private, loopback or link-local address"),
        ("https://169.254.169.254/latest/meta-data", "must not point at a private"),
        ("https://[fd00::1]/onboarding", "must not point at a private"),
        ("https://2130706433/onboarding", "must not point at a private"),
        ("https://0x7f000001/onboarding", "must not point at a private"),
        ("https://metadata.google.internal./x", "must not point at a local host name"),
    ],
)
def test_production_sends_callbacks_over_https_to_public_hosts_only(
    temporal: WorkflowEnvironment, tmp_path: Path, callback_url: str, reason: str
) -> None:
    settings = api_settings(tmp_path, address_of(temporal)).model_copy(update={"environment": "production"})
    with run_api(settings) as api, api.client() as client:
        refused = client.post("/v1/onboardings", json=onboarding_body("cb-1", callback_url=callback_url))
        accepted = client.post(
            "/v1/onboardings", json=onboarding_body("cb-2", callback_url="https://hooks.example.com/onb?t=1")
        )
        assert refused.status_code == 422, refused.text
        [field] = refused.json()["error"]["fields"]
        assert field["field"] == "callback_url" and field["message"].startswith(reason)
        assert find(api.engine, "default", "cb-1") is None
        assert accepted.status_code == 202, accepted.text
