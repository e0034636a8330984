"""docker-compose.yml: the properties production relies on; Debian's ``docker-compose config`` if present.

No Docker engine runs here, so the file is checked as data: images pinned, health checks and start order,
secrets only from the environment, the worker scalable, the sandbox only under its profile.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from config import Settings
from domain.search_attributes import ALL_KEYS

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
ENV_EXAMPLE = ROOT / ".env.example"

_REFERENCE = re.compile(r"\$\{(?P<name>[A-Za-z0-9_]+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")
_REQUIRED = re.compile(r"^\$\{[A-Za-z0-9_]+:\?[^}]*\}$")
_OPTIONAL_EMPTY = re.compile(r"^\$\{[A-Za-z0-9_]+:-\}$")
_SECRET_NAME = re.compile(r"PASSWORD|PWD|TOKEN|KEY|SECRET")
_URL_PASSWORD = re.compile(r"://[^:/@\s]+:(?P<password>[^@\s]+)@")


def load() -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(COMPOSE.read_text())
    return document


def interpolate(value: str) -> str:
    """Resolve ``${VAR:-default}`` to its default and a required ``${VAR:?msg}`` to the marker ``<VAR>``."""

    def resolve(match: re.Match[str]) -> str:
        op = match["op"] or ""
        return match["arg"] if "-" in op else f"<{match['name']}>" if "?" in op else ""

    return _REFERENCE.sub(resolve, value.replace("$$", "\0")).replace("\0", "$")


def services() -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = load()["services"]
    return found


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment", {})
    assert isinstance(env, dict), "environment is written as a mapping"
    return {str(k): str(v) for k, v in env.items()}


def referenced_variables() -> set[str]:
    return {m["name"] for m in _REFERENCE.finditer(COMPOSE.read_text().replace("$$", ""))}


def test_every_image_is_pinned_to_a_version() -> None:
    for name, service in services().items():
        image = interpolate(service["image"])
        repository, _, tag = image.rpartition(":")
        assert repository and "/" not in tag, f"{name}: {image} has no tag"
        assert tag != "latest" and re.search(r"\d", tag), f"{name}: {image} is not pinned to a version"


def test_postgres_temporal_and_api_have_health_checks() -> None:
    for name in ("postgres", "temporal", "api"):
        check = services()[name].get("healthcheck", {})
        assert check.get("test") and not check.get("disable"), f"{name} has no health check"
    assert "/healthz" in str(services()["api"]["healthcheck"]["test"])


def test_start_order_is_expressed_by_conditions() -> None:
    all_services = services()
    for name, service in all_services.items():
        for dependency, spec in service.get("depends_on", {}).items():
            condition = spec["condition"]
            assert condition in {"service_healthy", "service_completed_successfully"}, (name, dependency)
            if condition == "service_healthy":
                assert "test" in all_services[dependency].get("healthcheck", {}), dependency
    conditions = {
        name: {d: s["condition"] for d, s in svc.get("depends_on", {}).items()}
        for name, svc in all_services.items()
    }
    assert conditions["temporal"]["temporal-schema"] == "service_completed_successfully"
    assert conditions["temporal"]["postgres"] == "service_healthy"
    assert conditions["migrate"]["postgres"] == "service_healthy"
    for app in ("worker", "api"):
        assert conditions[app]["migrate"] == "service_completed_successfully"
        assert conditions[app]["temporal-setup"] == "service_completed_successfully"


def test_secrets_only_come_from_the_environment() -> None:
    for name, service in services().items():
        for key, value in environment(service).items():
            if _SECRET_NAME.search(key):
                assert _REQUIRED.match(value) or _OPTIONAL_EMPTY.match(value), (
                    f"{name}.{key} must be a required ${{VAR:?}} or an optional ${{VAR:-}} reference"
                )
            url_password = _URL_PASSWORD.search(interpolate(value))
            if url_password:
                assert re.fullmatch(r"<\w+>", url_password["password"]), f"{name}.{key} embeds a password"


def test_the_workflow_search_attributes_are_registered() -> None:
    setup = str(services()["temporal-setup"]["command"])
    for key in ALL_KEYS:
        assert key.name in setup
    assert "Keyword" in setup and "already exists" in setup, "registration must be idempotent"


def test_the_worker_can_be_scaled_out() -> None:
    worker = services()["worker"]
    assert "container_name" not in worker and "hostname" not in worker
    assert "ports" not in worker, "published ports clash between replicas"
    assert worker.get("command") == ["python", "-m", "worker"]


def test_the_sandbox_only_starts_under_its_profile() -> None:
    all_services = services()
    assert all_services["sandbox"]["profiles"] == ["sandbox"]
    for name, service in all_services.items():
        if name != "sandbox":
            assert "profiles" not in service, f"{name} must start in production"
            assert "sandbox" not in service.get("depends_on", {}), f"{name} must not need the sandbox"
            assert "sandbox" not in " ".join(map(str, service.get("command", []))), name


def test_state_lives_in_named_volumes() -> None:
    volumes = load()["volumes"]
    mounted = services()["postgres"]["volumes"][0].split(":")[0]
    assert mounted in volumes


def test_the_ui_decodes_through_the_api_codec_endpoint() -> None:
    ui = environment(services()["temporal-ui"])
    assert interpolate(ui["TEMPORAL_CODEC_ENDPOINT"]).endswith("/codec")
    assert ui["TEMPORAL_CORS_ORIGINS"]


#: Settings that only the development stack and the sandbox use, or that the compose file sets per service.
DEVELOPMENT_ONLY = {"data_dir", "temporal_ui_port", "api_host", "api_port"}
#: Settings the compose file deliberately sets to something other than the code's development default.
PRODUCTION_VALUES = {"environment", "database_url", "temporal_address", "codec_cors_origin"}


def test_every_production_setting_reaches_the_app_with_the_codes_default() -> None:
    env = {k: interpolate(v) for k, v in environment(services()["worker"]).items()}
    for name, field in Settings.model_fields.items():
        if name in DEVELOPMENT_ONLY or name.startswith("sandbox_"):
            continue
        variable = f"ONBOARD_{name.upper()}"
        assert variable in env, f"{variable} cannot be set for the containers"
        if name not in PRODUCTION_VALUES and not env[variable].startswith("<"):
            parsed = Settings.model_validate({name: env[variable]})
            assert getattr(parsed, name) == field.default, f"{variable} defaults differently"


def test_every_variable_is_documented_in_env_example() -> None:
    documented = set(re.findall(r"^([A-Z0-9_]+)=", ENV_EXAMPLE.read_text(), flags=re.MULTILINE))
    assert referenced_variables() - documented == set()


def required_variables() -> set[str]:
    text = COMPOSE.read_text().replace("$$", "")
    return {m["name"] for m in _REFERENCE.finditer(text) if "?" in (m["op"] or "")}


def docker_compose(env_file: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            "docker-compose",
            "--env-file",
            str(env_file),
            "-f",
            str(COMPOSE),
            "--profile",
            "sandbox",
            "config",
            "-q",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/local/bin:/usr/bin:/bin"},
        cwd=env_file.parent,
    )


@pytest.mark.skipif(shutil.which("docker-compose") is None, reason="docker-compose is not installed")
def test_docker_compose_accepts_the_file_and_refuses_missing_secrets(tmp_path: Path) -> None:
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{name}=placeholder\n" for name in sorted(required_variables())))
    accepted = docker_compose(env_file)
    assert accepted.returncode == 0, accepted.stderr
    env_file.write_text("")
    refused = docker_compose(env_file)
    assert refused.returncode != 0 and "set " in refused.stderr
