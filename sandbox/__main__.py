"""``python -m sandbox [--host H] [--port N]``: serve the provider sandbox until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import faulthandler
import os
import socket
import sys
from types import FrameType

import uvicorn

from config import get_settings
from sandbox.app import PRODUCTION_REFUSED, create_app

#: seconds a stopping sandbox waits for open requests
GRACE_S = 5
#: seconds after SIGTERM past which a stop still under way writes every thread's stack to the log
STUCK_STOP_S = 10
SECRET_SETTINGS = ("ONBOARD_CARRIER_AUTH_TOKEN", "ONBOARD_AGENTS_API_KEY", "ONBOARD_AGENTS_ACCOUNTS")


class _Server(uvicorn.Server):
    """uvicorn's server, which says where a stop that does not end in time is stuck."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        faulthandler.dump_traceback_later(STUCK_STOP_S)
        super().handle_exit(sig, frame)


def main() -> None:
    """Refuse production; bind, say where (and which settings hold the secrets, never their values), then
    serve."""
    if os.environ.get("ONBOARD_ENVIRONMENT", "").strip().lower() == "production":
        sys.exit(PRODUCTION_REFUSED)  # before loading settings, whose own refusal would say less
    settings = get_settings()
    if settings.environment == "production":  # from .env
        sys.exit(PRODUCTION_REFUSED)
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default=settings.sandbox_host)
    parser.add_argument("--port", type=int, default=settings.sandbox_port)
    args = parser.parse_args()

    app = create_app(settings)
    sock = socket.create_server((args.host, args.port), reuse_port=False)
    host, port = sock.getsockname()[:2]
    print(
        f"sandbox listening on http://{host}:{port} (master auth id {settings.carrier_auth_id}; "
        f"agent-platform master accounts {', '.join(settings.agent_accounts())}; "
        f"secrets from {', '.join(SECRET_SETTINGS)})",
        flush=True,
    )
    # on SIGTERM, requests still open after a few seconds are cut off rather than waited for without end,
    # so a stop always reaches the lifespan's shutdown (the outbox's in-flight attempts, retried later)
    config = uvicorn.Config(
        app, log_level="warning", access_log=False, lifespan="on", timeout_graceful_shutdown=GRACE_S
    )
    server = _Server(config)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
