"""``onboard callbacks secret``: what an operator hands a reseller to verify its status callbacks."""

from __future__ import annotations

import os
import subprocess
import sys

from pydantic import SecretStr

from callbacks.signing import CallbackSigner


def secret_command(*args: str, keys: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "ONBOARD_CALLBACK_SIGNING_KEYS": keys}
    return subprocess.run(
        [sys.executable, "-m", "cli.main", "callbacks", "secret", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_prints_the_resellers_secrets_newest_first_and_never_the_signing_keys() -> None:
    shown = secret_command("--reseller", "acme", keys="new-signing-key,old-signing-key")
    assert shown.returncode == 0, shown.stderr
    lines = shown.stdout.splitlines()
    assert lines == CallbackSigner(SecretStr("new-signing-key,old-signing-key")).secrets_for("acme")
    assert lines[1] == CallbackSigner(SecretStr("old-signing-key")).secrets_for("acme")[0]
    assert lines[0] != CallbackSigner(SecretStr("new-signing-key")).secrets_for("globex")[0]
    assert "signing-key" not in shown.stdout + shown.stderr


def test_an_invalid_reseller_name_exits_2_naming_the_option() -> None:
    refused = secret_command("--reseller", "Not A Slug", keys="k")
    assert refused.returncode == 2
    assert "--reseller" in refused.stderr and refused.stdout == ""
