"""Injected faults: 503 without a change, 429 with ``Retry-After``, and the dropped answer after a commit."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.sandbox.conftest import SUBS, unique
from tests.support.processes import Sandbox


def cleared(sandbox: Sandbox) -> Iterator[str]:
    """The faults control URL of ``sandbox``; faults are cleared afterwards."""
    url = f"{sandbox.url}/_sandbox/faults"
    try:
        yield url
    finally:
        httpx.delete(url).raise_for_status()


@pytest.fixture
def faults(sandbox: Sandbox) -> Iterator[str]:
    """The session sandbox's faults control URL."""
    yield from cleared(sandbox)


@pytest.fixture
def honouring_faults(honouring_sandbox: Sandbox) -> Iterator[str]:
    """The faults control URL of the sandbox honouring ``Idempotency-Key``."""
    yield from cleared(honouring_sandbox)


def names(carrier: httpx.Client) -> list[str]:
    found: list[str] = []
    page = 1
    while items := carrier.get(SUBS, params={"page": page, "size": 100}).json()["items"]:
        found.extend(sub["name"] for sub in items)
        page += 1
    return found


def test_error_rate_answers_503_and_changes_nothing(carrier: httpx.Client, faults: str) -> None:
    httpx.put(faults, json={"error_rate": 1.0, "routes": [f"/api/v1{SUBS}"]}).raise_for_status()
    name = unique("faulted")
    refused = carrier.post(SUBS, json={"name": name})
    assert refused.status_code == 503 and refused.json()["error"]["type"] == "unavailable"
    assert carrier.get("/sub-accounts/SA_NOPE/kyc/status").status_code == 404, "other routes are untouched"
    assert httpx.get(faults).json()["injected"] == {"error": 1, "rate_limit": 0, "drop": 0}
    httpx.delete(faults).raise_for_status()
    assert name not in names(carrier)


def test_rate_limit_answers_429_with_retry_after(agents: httpx.Client, faults: str) -> None:
    httpx.put(
        faults, json={"rate_limit_rate": 1.0, "retry_after_s": 7, "routes": ["/v1/"]}
    ).raise_for_status()
    limited = agents.get("/sub-accounts")
    assert limited.status_code == 429 and limited.headers["Retry-After"] == "7"
    assert limited.json()["error"]["type"] == "rate_limited"


def test_dropped_answer_commits_and_a_look_up_finds_it(
    carrier: httpx.Client, faults: str, sandbox: Sandbox
) -> None:
    httpx.put(faults, json={"drop_response_rate": 1.0, "latency_ms": 50}).raise_for_status()
    name = unique("dropped")
    dropped = carrier.post(SUBS, json={"name": name})
    assert dropped.status_code == 502 and "auth_id" not in dropped.text
    assert httpx.get(f"{sandbox.url}/_sandbox/state").status_code == 200, "controls are never faulted"
    httpx.delete(faults).raise_for_status()

    assert names(carrier).count(name) == 1


def test_dropped_answer_and_an_idempotent_retry_with_the_emulation_on(
    honouring: httpx.Client, honouring_faults: str
) -> None:
    httpx.put(honouring_faults, json={"drop_response_rate": 1.0, "latency_ms": 50}).raise_for_status()
    name = unique("dropped")
    headers = {"Idempotency-Key": f"drop-{name}"}
    assert honouring.post(SUBS, json={"name": name}, headers=headers).status_code == 502
    httpx.delete(honouring_faults).raise_for_status()

    retried = honouring.post(SUBS, json={"name": name}, headers=headers)
    assert retried.status_code == 201 and retried.json()["sub_account"]["name"] == name
    assert names(honouring).count(name) == 1


def test_a_caller_gone_before_its_body_is_read_leaves_the_key_free(
    honouring: httpx.Client, honouring_faults: str, honouring_sandbox: Sandbox
) -> None:
    """A worker killed while its request waits must not poison the key for the retry."""
    httpx.put(honouring_faults, json={"latency_ms": 300, "routes": [f"/api/v1{SUBS}"]}).raise_for_status()
    name = unique("gone")
    body = json.dumps({"name": name}).encode()
    headers = {"Idempotency-Key": f"gone-{name}", "Content-Type": "application/json"}
    url = httpx.URL(f"{honouring_sandbox.url}/api/v1{SUBS}")
    raw_headers = {**honouring.headers, **headers, "Host": f"{url.host}:{url.port}"}
    head = "".join(f"{k}: {v}\r\n" for k, v in raw_headers.items() if k.lower() != "content-length")
    request = f"POST {url.raw_path.decode()} HTTP/1.1\r\n{head}Content-Length: {len(body)}\r\n\r\n"
    with socket.create_connection((url.host, url.port or 80)) as raw:
        raw.sendall(request.encode() + body)  # and hang up before the answer
    time.sleep(0.6)
    httpx.delete(honouring_faults).raise_for_status()

    retried = honouring.post(SUBS, content=body, headers=headers)
    assert retried.status_code == 201, retried.text
    assert names(honouring).count(name) == 1


def test_seeded_dice_are_reproducible(agents: httpx.Client, faults: str) -> None:
    def run() -> list[int]:
        httpx.put(
            faults, json={"error_rate": 0.5, "seed": 42, "routes": ["/v1/sub-accounts"]}
        ).raise_for_status()
        return [agents.get("/sub-accounts").status_code for _ in range(12)]

    first = run()
    assert first == run() and {200, 503} == set(first)
    report = httpx.get(faults).json()
    assert report["injected"]["error"] == first.count(503) and report["error_rate"] == 0.5
