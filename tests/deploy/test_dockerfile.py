"""The container image: multi-stage, pinned base, non-root, production by default, nothing secret inside."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def instructions() -> list[tuple[str, str]]:
    """``(INSTRUCTION, arguments)`` pairs with continuation lines joined and comments dropped."""
    joined = re.sub(r"\\\n", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in joined.splitlines()]
    return [
        (word.upper(), rest.strip())
        for word, _, rest in (line.partition(" ") for line in lines if line and not line.startswith("#"))
    ]


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last_from = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last_from:]


def test_the_image_is_built_in_stages_from_a_pinned_slim_python() -> None:
    steps = instructions()
    args = dict(arg.split("=", 1) for word, arg in steps if word == "ARG" and "=" in arg)
    bases = [arg.split()[0] for word, arg in steps if word == "FROM"]
    assert len(bases) >= 2, "a builder stage and a runtime stage"
    for base in bases:
        image = re.sub(r"\$\{(\w+)\}", lambda m: args[m[1]], base)
        assert re.fullmatch(r"python:3\.11\.\d+-slim(-\w+)?", image), image
    assert any(word == "COPY" and arg.startswith("--from=") for word, arg in final_stage())


def test_the_runtime_runs_as_an_unprivileged_user() -> None:
    users = [arg for word, arg in final_stage() if word == "USER"]
    assert users and users[-1].split(":")[0] not in {"root", "0"}


def test_production_by_default_without_secrets_baked_in() -> None:
    env = " ".join(arg for word, arg in instructions() if word in {"ENV", "ARG"})
    assert "ONBOARD_ENVIRONMENT=production" in env
    assert not re.search(r"ONBOARD_\w*(TOKEN|KEY|SECRET|PASSWORD)\w*=", env)
    assert not re.search(r"ONBOARD_DATABASE_URL=", env), "the database comes from the deployment"


def test_health_check_and_default_command_are_the_api() -> None:
    steps = dict(final_stage())
    assert "/healthz" in steps["HEALTHCHECK"]
    assert steps["CMD"] == '["python", "-m", "api"]'


def test_local_secrets_and_state_stay_out_of_the_build_context() -> None:
    ignored = set((ROOT / ".dockerignore").read_text().split())
    assert {".env", ".data/", ".venv/", ".git/"} <= ignored
