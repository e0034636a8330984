"""The sandbox app: both provider wire formats, the hosted KYC page and the test controls.

Middleware, outermost first: fault injection, authentication, and only with
``sandbox_honour_idempotency_keys`` the ``Idempotency-Key`` emulation (all on provider routes only).
Two background tasks run while the app does: webhook delivery and the expiry sweep.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
from collections.abc import AsyncIterator

from fastapi import FastAPI
from starlette.middleware import Middleware

from config import Settings
from sandbox import agents, carrier, controls, hosted, kyc, number_controls
from sandbox.auth import AuthMiddleware
from sandbox.context import SandboxContext
from sandbox.db import open_database
from sandbox.errors import install_error_handlers
from sandbox.faults import FaultInjector, FaultMiddleware
from sandbox.idempotency import IdempotencyMiddleware, forget_unfinished
from sandbox.webhooks import Outbox

log = logging.getLogger(__name__)

#: seconds after which a background task that does not end once cancelled is reported (then waited for)
STOP_TASKS_S = 3.0
PRODUCTION_REFUSED = (
    "the provider sandbox is for development and tests only: it refuses to start with "
    "ONBOARD_ENVIRONMENT=production"
)


def create_app(settings: Settings) -> FastAPI:
    """A sandbox app keeping its state in ``settings.sandbox_database_url``; never in production."""
    if settings.environment == "production":
        raise RuntimeError(PRODUCTION_REFUSED)
    engine = open_database(settings.sandbox_database_url)
    forget_unfinished(engine)
    sandbox = SandboxContext(
        settings=settings, engine=engine, outbox=Outbox(engine, settings), faults=FaultInjector()
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        tasks = [
            asyncio.create_task(sandbox.outbox.run()),
            asyncio.create_task(kyc.sweep_expired(sandbox.outbox)),
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            _, stuck = await asyncio.wait(tasks, timeout=STOP_TASKS_S)
            for task in stuck:  # says where, for the stop that hangs once in a while under load
                where = io.StringIO()
                task.print_stack(file=where)
                log.warning("a task still stopping after %s s:\n%s", STOP_TASKS_S, where.getvalue())
            await asyncio.gather(*tasks, return_exceptions=True)
            engine.dispose()

    middleware = [
        Middleware(FaultMiddleware, injector=sandbox.faults),
        Middleware(AuthMiddleware, settings=settings),
    ]
    if settings.sandbox_honour_idempotency_keys:
        middleware.append(Middleware(IdempotencyMiddleware, engine=engine))
    app = FastAPI(title="Provider sandbox", lifespan=lifespan, middleware=middleware)
    app.state.sandbox = sandbox
    install_error_handlers(app)
    routers = (
        carrier.router,
        kyc.router,
        agents.router,
        hosted.router,
        controls.router,
        number_controls.router,
    )
    for router in routers:
        app.include_router(router)
    return app
