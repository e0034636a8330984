"""``onboard start|status|list|cancel|kyc-restart`` as a user runs them: a subprocess against a real API."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.api.harness import API_KEY, RunningApi, api_settings, onboarding_body, run_api
from tests.support.processes import free_port

ONBOARD = str(Path(sys.executable).parent / "onboard")


def onboard(
    *args: str, api_url: str, key: str | None = API_KEY, cwd: Path | None = None, **env: str
) -> subprocess.CompletedProcess[str]:
    """Run ``onboard`` with only the environment given here (no ONBOARD_* leaking in from ours)."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARD_")}
    clean.update({"ONBOARD_API_URL": api_url, "COLUMNS": "200", **env})
    if key is not None:
        clean["ONBOARD_API_KEY"] = key
    return subprocess.run(
        [ONBOARD, *args], env=clean, capture_output=True, text=True, timeout=60, cwd=cwd, check=False
    )


@pytest.fixture(scope="module")
def started(api: RunningApi) -> str:
    """Onboarding ``other-1`` exists, so starting it with another request conflicts."""
    with api.client() as client:
        response = client.post("/v1/onboardings", json=onboarding_body("other-1"))
    assert response.status_code == 202, response.text
    return str(response.json()["id"])


START_FLAGS = [
    "--reference", "cli-1", "--business-name", "Acme Dental", "--email", "owner@acme.example",
    "--business-type", "private_limited", "--kyc-mode", "customer_use", "--country", "IN", "--count", "2",
    "--agent-name", "Front desk", "--system-prompt", "Book appointments.",
]  # fmt: skip


def test_start_with_flags_then_again_then_status_and_list(api: RunningApi) -> None:
    first = onboard("start", *START_FLAGS, api_url=api.url)
    assert first.returncode == 0, first.stderr
    assert (
        "started" in first.stdout
        and "onboarding-cli-1" in first.stdout
        and "creating_sub_account" in first.stdout
    )

    again = onboard("start", *START_FLAGS, "--json", api_url=api.url)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["id"] == "onboarding-cli-1"

    shown = onboard("status", "onboarding-cli-1", api_url=api.url)
    assert shown.returncode == 0, shown.stderr
    for expected in ("onboarding-cli-1", "cli-1", "creating_sub_account", "not_started"):
        assert expected in shown.stdout

    as_json = onboard("status", "onboarding-cli-1", "--json", api_url=api.url)
    assert json.loads(as_json.stdout)["reference"] == "cli-1"

    listed = onboard("list", "--json", "--status", "creating_sub_account", api_url=api.url)
    assert listed.returncode == 0, listed.stderr
    assert "onboarding-cli-1" in [item["id"] for item in json.loads(listed.stdout)["items"]]
    table = onboard("list", "--limit", "5", api_url=api.url)
    assert table.returncode == 0 and "onboarding-cli-1" in table.stdout


def test_status_prints_the_link_to_the_onboarding_in_the_temporal_ui(api: RunningApi, started: str) -> None:
    shown = onboard("status", started, api_url=api.url)
    assert shown.returncode == 0, shown.stderr
    link = f"http://127.0.0.1:{api.settings.temporal_ui_port}/namespaces/default/workflows/{started}"
    assert f"temporal ui  {link}\n" in shown.stdout


def test_start_from_a_file(api: RunningApi, tmp_path: Path) -> None:
    body = tmp_path / "body.json"
    body.write_text(json.dumps(onboarding_body("cli-file")))
    started = onboard("start", "--file", str(body), "--json", api_url=api.url)
    assert started.returncode == 0, started.stderr
    assert json.loads(started.stdout)["id"] == "onboarding-cli-file"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["start", *START_FLAGS[:-6], "--count", "0", *START_FLAGS[-4:]], "numbers.count"),
        (["start", "--reference", "cli-bad", "--business-name", "Acme\u0007"], "business_name"),
        (["start", "--reference", "other-1", *START_FLAGS[2:]], "different request"),
        (["status", "onboarding-nobody"], "no such onboarding"),
        (["cancel", "onboarding-nobody"], "no such onboarding"),
        (["kyc-restart", "onboarding-nobody"], "no such onboarding"),
        (["list", "--status", "bogus"], "status"),
        (["list", "--cursor", "not-a-cursor"], "cursor"),
    ],
    ids=[
        "count 0",
        "control char",
        "conflict",
        "status unknown",
        "cancel unknown",
        "restart unknown",
        "bad status",
        "bad cursor",
    ],
)
def test_refused_requests_exit_1_with_the_api_message(
    api: RunningApi, started: str, args: list[str], message: str
) -> None:
    refused = onboard(*args, api_url=api.url)
    assert refused.returncode == 1, (refused.stdout, refused.stderr)
    assert message in refused.stderr and refused.stdout == ""


def test_a_wrong_key_exits_1_and_is_never_printed(api: RunningApi) -> None:
    secret = "wrong-key-that-must-not-leak"
    refused = onboard("list", api_url=api.url, key=secret)
    assert refused.returncode == 1
    assert "missing or invalid API key" in refused.stderr
    assert secret not in refused.stderr + refused.stdout


def test_the_key_written_by_onboard_dev_is_used_when_none_is_given(api: RunningApi, tmp_path: Path) -> None:
    (tmp_path / "api-key").write_text(API_KEY + "\n")
    listed = onboard("list", "--json", api_url=api.url, key=None, ONBOARD_DATA_DIR=str(tmp_path))
    assert listed.returncode == 0, listed.stderr
    missing = onboard("list", api_url=api.url, key=None, ONBOARD_DATA_DIR=str(tmp_path / "none"))
    assert missing.returncode == 1 and "ONBOARD_API_KEY" in missing.stderr


def test_an_unreachable_api_exits_2() -> None:
    down = onboard("status", "onboarding-x", api_url=f"http://127.0.0.1:{free_port()}")
    assert down.returncode == 2 and "unreachable" in down.stderr


def test_a_failing_api_exits_2(tmp_path: Path) -> None:
    with run_api(api_settings(tmp_path, f"127.0.0.1:{free_port()}")) as api:
        failing = onboard("start", *START_FLAGS, api_url=api.url)
    assert failing.returncode == 2
    assert "unavailable" in failing.stderr
