"""Bearer keys: one uniform 401 for every bad key; each reseller confined to its own onboardings."""

from __future__ import annotations

import pytest

from store import api_keys
from tests.api.harness import API_KEY, RunningApi, onboarding_body

UNAUTHORIZED = {"error": {"type": "unauthorized", "message": "missing or invalid API key", "fields": []}}
ROUTES = [
    ("GET", "/v1/onboardings"),
    ("POST", "/v1/onboardings"),
    ("GET", "/v1/onboardings/onboarding-x"),
    ("POST", "/v1/onboardings/onboarding-x/cancel"),
    ("POST", "/v1/onboardings/onboarding-x/kyc/restart"),
]


@pytest.fixture(scope="module")
def revoked_key(api: RunningApi) -> str:
    key = api_keys.create(api.engine, "revoked-co")
    assert api_keys.revoke(api.engine, key.split("_")[1])
    return key


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Basic dXNlcjpwYXNz",
        f"Token {API_KEY}",
        f"Bearer {API_KEY}x",
        f"Bearer {API_KEY[:-1]}",
        "Bearer onb_aaaaaaaaaaaa_" + "x" * 40,
        "Bearer onb_short",
    ],
)
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_bad_keys_get_the_same_401(
    api: RunningApi, authorization: str | None, method: str, path: str
) -> None:
    headers = {} if authorization is None else {"Authorization": authorization}
    with api.client(key=None) as client:
        response = client.request(method, path, headers=headers, json=onboarding_body("auth-never"))
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_revoked_key_is_refused(api: RunningApi, revoked_key: str) -> None:
    with api.client(revoked_key) as client:
        response = client.get("/v1/onboardings")
    assert response.status_code == 401 and response.json() == UNAUTHORIZED


def test_resellers_only_see_and_touch_their_own_onboardings(api: RunningApi) -> None:
    acme, globex = api_keys.create(api.engine, "acme"), api_keys.create(api.engine, "globex")
    with api.client(acme) as as_acme, api.client(globex) as as_globex, api.client() as as_default:
        started = as_acme.post("/v1/onboardings", json=onboarding_body("tenant-1"))
        assert started.status_code == 202, started.text
        acme_id = started.json()["id"]

        for client in (as_globex, as_default):
            assert client.get(f"/v1/onboardings/{acme_id}").status_code == 404
            assert client.post(f"/v1/onboardings/{acme_id}/cancel").status_code == 404
            restart = client.post(f"/v1/onboardings/{acme_id}/kyc/restart")
            assert restart.status_code == 404
            assert restart.json()["error"]["type"] == "not_found"
            assert acme_id not in {item["id"] for item in client.get("/v1/onboardings").json()["items"]}

        # references are unique per reseller: globex may use the same one for its own customer
        theirs = as_globex.post("/v1/onboardings", json=onboarding_body("tenant-1", business_name="Globex"))
        assert theirs.status_code == 202 and theirs.json()["id"] != acme_id

        assert [item["id"] for item in as_acme.get("/v1/onboardings").json()["items"]] == [acme_id]
        assert as_acme.get(f"/v1/onboardings/{acme_id}").json()["reference"] == "tenant-1"


def test_each_request_is_logged_once_by_route_without_the_key(
    api: RunningApi, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="api.access"), api.client() as client:
        client.get("/v1/onboardings/onboarding-logged?limit=1")
    records = [r for r in caplog.records if r.name == "api.access"]
    assert len(records) == 1
    assert records[0].getMessage() == "GET /v1/onboardings/{onboarding_id} 404"
    assert records[0].__dict__["route"] == "/v1/onboardings/{onboarding_id}"
    assert records[0].__dict__["status"] == 404 and records[0].__dict__["duration_ms"] >= 0
    assert API_KEY not in caplog.text and "onboarding-logged" not in caplog.text
