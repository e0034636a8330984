"""``python -m sandbox [--host H] [--port N]``: serve the provider sandbox until SIGTERM or Ctrl-C."""

from __future__ import annotations

import argparse
import socket

import uvicorn

from config import get_settings
from sandbox.app import create_app

SECRET_SETTINGS = ("ONBOARD_CARRIER_AUTH_TOKEN", "ONBOARD_AGENTS_API_KEY")


def main() -> None:
    """Bind, say where (and which settings hold the secrets, never their values), then serve."""
    settings = get_settings()
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__)
    parser.add_argument("--host", default=settings.sandbox_host)
    parser.add_argument("--port", type=int, default=settings.sandbox_port)
    args = parser.parse_args()

    app = create_app(settings)
    sock = socket.create_server((args.host, args.port), reuse_port=False)
    host, port = sock.getsockname()[:2]
    print(
        f"sandbox listening on http://{host}:{port} (master auth id {settings.carrier_auth_id}; "
        f"secrets from {', '.join(SECRET_SETTINGS)})",
        flush=True,
    )
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
