"""What the routes share: settings, the database, the webhook outbox and the fault injector.

Routes are ``async`` and use the (synchronous, fast) SQLite session on the event loop, so each request's
read-modify-write runs without interleaving with another: no lost updates, no double sales.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

from fastapi import Request
from sqlalchemy import Engine
from sqlmodel import Session

from config import Settings
from sandbox.faults import FaultInjector
from sandbox.webhooks import Outbox


@dataclass
class SandboxContext:
    """The running sandbox's collaborators."""

    settings: Settings
    engine: Engine
    outbox: Outbox
    faults: FaultInjector


def context(request: Request) -> SandboxContext:
    """The sandbox context of the app serving ``request``."""
    found: SandboxContext = request.app.state.sandbox
    return found


async def db(request: Request) -> AsyncIterator[Session]:
    """A database session for one request (async so that it stays on the event loop)."""
    with Session(context(request).engine) as session:
        yield session
