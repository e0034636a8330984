"""The FastAPI application: routes (reseller API, webhook, health, codec, metrics, docs), error shape, body
limit, access log, and its lifespan."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from sqlalchemy.engine import Engine
from starlette.concurrency import run_in_threadpool

from api import batches, capacity, docs, events, health, kyc_relay, lifecycle, metrics, onboardings, webhooks
from api.codec import router as codec_router
from api.errors import install_error_handlers
from api.middleware import AccessLog, BodySizeLimit
from api.runtime import Runtime, carrier_client
from api.temporal import TemporalConnection
from config import Settings
from store import migrate
from store.db import make_engine

logger = logging.getLogger(__name__)


def prepare_database(engine: Engine) -> None:
    """Refuse to serve on a database whose schema is not at the latest migration (``onboard db upgrade``)."""
    migrate.require_current(engine)


def create_app(settings: Settings) -> FastAPI:
    """The reseller API for ``settings``; connects to the database and Temporal when it starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(settings.database_url)
        await run_in_threadpool(prepare_database, engine)
        temporal = TemporalConnection(settings)
        await temporal.healthy()  # connect now if we can; otherwise on first use
        async with carrier_client(settings) as carrier:
            app.state.runtime = Runtime(settings=settings, engine=engine, temporal=temporal, carrier=carrier)
            relay = app.state.kyc_relay = kyc_relay.KycRelay(settings, engine, temporal, carrier)
            registry = metrics.app_registry(engine, list(settings.agent_accounts()))
            app.state.metrics_registry = registry
            try:
                with metrics.ops_listener(settings.api_host, settings.ops_port, registry):
                    async with kyc_relay.running(relay):
                        logger.info("api ready")
                        yield
            finally:
                engine.dispose()
                logger.info("api stopped")

    app = FastAPI(
        title="Sub-account onboarding API",
        version="1.0.0",
        description="Start and follow the onboarding of KYC-gated telephony sub-accounts for your customers.",
        lifespan=lifespan,
        # served by api.docs instead, behind the operator key in production
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_error_handlers(app)
    app.add_middleware(
        BodySizeLimit, max_bytes=settings.max_body_bytes, larger={"/v1/batches": settings.batch_max_bytes}
    )
    app.add_middleware(AccessLog)
    app.include_router(onboardings.router)
    app.include_router(lifecycle.router)
    app.include_router(batches.router)
    app.include_router(events.router)
    app.include_router(webhooks.router)
    app.include_router(health.router)
    app.include_router(codec_router)
    app.include_router(metrics.router)
    app.include_router(capacity.router)
    app.include_router(docs.router)
    return app
