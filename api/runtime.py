"""What the routes share for the app's lifetime: settings, database engine, Temporal, webhook verifiers."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import Request
from sqlalchemy.engine import Engine
from standardwebhooks import Webhook

from api.temporal import TemporalConnection
from config import Settings


@dataclass(frozen=True)
class Runtime:
    """Built by the app's lifespan, read by the routes through :func:`runtime`."""

    settings: Settings
    engine: Engine
    temporal: TemporalConnection
    webhooks: tuple[Webhook, ...]


def runtime(request: Request) -> Runtime:
    """FastAPI dependency: the running app's :class:`Runtime`."""
    current = request.app.state.runtime
    assert isinstance(current, Runtime)
    return current
