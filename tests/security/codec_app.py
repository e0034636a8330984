"""A minimal app serving only the codec router, for testing it over real HTTP (``uvicorn --factory``)."""

from __future__ import annotations

from fastapi import FastAPI

from api.codec import router
from api.errors import install_error_handlers
from api.runtime import Runtime
from api.temporal import TemporalConnection
from config import get_settings
from providers.carrier import CarrierClient
from providers.http import make_http_client
from store.db import make_engine


def create_codec_app() -> FastAPI:
    """The codec router with the runtime and error handling of the real app, plus ``/healthz``."""
    settings = get_settings()
    app = FastAPI()
    install_error_handlers(app)
    app.include_router(router)
    app.state.runtime = Runtime(
        settings=settings,
        engine=make_engine(settings.database_url),
        temporal=TemporalConnection(settings),
        carrier=CarrierClient.from_settings(make_http_client(settings), settings),
    )

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app
