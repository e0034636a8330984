"""Run the codec endpoint (``codec_app``) in a child process with development or production settings."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Engine

from store import migrate
from store.db import make_engine
from tests.security.keyrings import OLD
from tests.support.processes import free_port, start_process, wait_http

UI_ORIGIN = "http://127.0.0.1:18233"
DEV_API_KEY = "dev_codec-test-api-key-0123456789abcdef"


@dataclass
class CodecServer:
    """A running codec endpoint and the database its reseller keys live in."""

    url: str
    engine: Engine


def _production_secrets() -> dict[str, str]:
    return {
        "ONBOARD_CARRIER_AUTH_ID": "MA_PROD0000000001",
        "ONBOARD_CARRIER_AUTH_TOKEN": "prod-carrier-token",
        "ONBOARD_AGENTS_API_KEY": "prod-agents-key",
        "ONBOARD_VAULT_KEYS": OLD,
        "ONBOARD_CALLBACK_SIGNING_KEYS": "prod-callback-signing-key-0123456789",
        "ONBOARD_CARRIER_BASE_URL": "https://carrier.invalid/api/v1",
        "ONBOARD_AGENTS_BASE_URL": "https://agents.invalid/v1",
    }


@contextmanager
def serve_codec(tmp: Path, environment: str) -> Iterator[CodecServer]:
    """Serve the codec endpoint with ``environment`` settings and a database under ``tmp``."""
    port = free_port()
    database_url = f"sqlite:///{tmp / 'codec.db'}"
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    env = {
        "ONBOARD_ENVIRONMENT": environment,
        "ONBOARD_DATABASE_URL": database_url,
        "ONBOARD_CODEC_KEYS": OLD,
        "ONBOARD_CODEC_CORS_ORIGIN": UI_ORIGIN,
        "ONBOARD_API_KEY": DEV_API_KEY,
        **(_production_secrets() if environment == "production" else {}),
    }
    args = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "tests.security.codec_app:create_codec_app",
        "--port",
        str(port),
    ]
    process = start_process(args, env=env, log=tmp / "codec.log", cwd=Path(__file__).parents[2])
    url = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{url}/healthz", process=process.popen)
        yield CodecServer(url=url, engine=engine)
    finally:
        process.stop()
        engine.dispose()
