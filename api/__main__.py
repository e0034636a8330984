"""``python -m api``: serve the API with uvicorn; SIGTERM drains requests and stops cleanly."""

from __future__ import annotations

import uvicorn

from api.app import create_app
from config import get_settings
from telemetry.logs import setup_logging


def main() -> None:
    """Run until SIGTERM or Ctrl-C."""
    settings = get_settings()
    setup_logging("api", settings.log_level)
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
