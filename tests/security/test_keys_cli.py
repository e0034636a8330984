"""``onboard keys`` as a user runs it: the key is shown once, authenticates, is never listed, revokes."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from domain.onboarding import RESELLER_MAX_LENGTH
from store import api_keys
from store.db import make_engine


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """A fresh SQLite database for the CLI (it creates the schema itself)."""
    return f"sqlite:///{tmp_path / 'keys.db'}"


def onboard(database_url: str, *args: str, **settings: str) -> subprocess.CompletedProcess[str]:
    """Run ``onboard`` in a child process against ``database_url`` (and other ``ONBOARD_*`` settings)."""
    extra = {f"ONBOARD_{name.upper()}": value for name, value in settings.items()}
    env = {**os.environ, "ONBOARD_DATABASE_URL": database_url, **extra}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", *args], env=env, capture_output=True, text=True, timeout=60
    )


def engine_for(database_url: str) -> Engine:
    """An engine on the CLI's database."""
    return make_engine(database_url)


def test_create_list_revoke(database_url: str) -> None:
    created = onboard(database_url, "keys", "create", "--reseller", "acme")
    assert created.returncode == 0, created.stderr
    key = created.stdout.strip().splitlines()[-1]
    engine = engine_for(database_url)
    assert api_keys.authenticate(engine, key) == "acme"

    listed = onboard(database_url, "keys", "list")
    assert listed.returncode == 0, listed.stderr
    prefix = key.split("_")[1]
    assert prefix in listed.stdout and "acme" in listed.stdout
    assert key.split("_", 2)[2] not in listed.stdout

    onboard(database_url, "keys", "create", "--reseller", "globex")
    only_acme = onboard(database_url, "keys", "list", "--reseller", "acme")
    assert "acme" in only_acme.stdout and "globex" not in only_acme.stdout

    revoked = onboard(database_url, "keys", "revoke", prefix)
    assert revoked.returncode == 0, revoked.stderr
    assert api_keys.authenticate(engine, key) is None
    engine.dispose()


def test_revoking_an_unknown_prefix_exits_1(database_url: str) -> None:
    result = onboard(database_url, "keys", "revoke", "000000000000")
    assert result.returncode == 1
    assert "000000000000" in result.stderr


@pytest.mark.parametrize(
    "reseller",
    ["Not A Slug", "acme\n", "ac\x1bme", "acme\t", "-acme", "a" * (RESELLER_MAX_LENGTH + 1)],
    ids=["not a slug", "trailing newline", "escape", "tab", "leading dash", "too long"],
)
def test_an_invalid_reseller_name_is_refused(database_url: str, reseller: str) -> None:
    result = onboard(database_url, "keys", "create", "--reseller", reseller)
    assert result.returncode == 2
    assert "onb_" not in result.stdout
    said = " ".join(result.stderr.replace("│", " ").split())
    assert "Invalid value for --reseller: reseller must be lowercase letters, digits and dashes" in said
    assert f"at most {RESELLER_MAX_LENGTH} characters" in said
    assert api_keys.list_keys(engine_for(database_url)) == []


def test_the_longest_reseller_name_is_accepted(database_url: str) -> None:
    longest = "r" * RESELLER_MAX_LENGTH
    result = onboard(database_url, "keys", "create", "--reseller", longest)
    assert result.returncode == 0, result.stderr
    assert api_keys.authenticate(engine_for(database_url), result.stdout.splitlines()[-1]) == longest
