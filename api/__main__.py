"""``python -m api``: serve the API with uvicorn; SIGTERM drains requests and stops cleanly."""

from __future__ import annotations

import logging

import uvicorn

from api.app import create_app
from config import get_settings


def main() -> None:
    """Run until SIGTERM or Ctrl-C."""
    settings = get_settings()
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    uvicorn.run(
        create_app(settings),
        host=settings.api_host,
        port=settings.api_port,
        log_level="warning",
        timeout_graceful_shutdown=10,
    )


if __name__ == "__main__":
    main()
