"""``GET /healthz``: can the API reach Temporal and its database right now, and is its KYC relay running."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Response
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from api.kyc_relay import KycRelay, kyc_relay
from api.runtime import Runtime, runtime
from api.schemas import Health

router = APIRouter(tags=["health"])


def database_ok(engine: Engine) -> bool:
    """Whether the database answers a trivial query."""
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except SQLAlchemyError:
        return False
    return True


@router.get("/healthz", response_model=Health, responses={503: {"model": Health}})
async def healthz(
    response: Response,
    rt: Annotated[Runtime, Depends(runtime)],
    relay: Annotated[KycRelay, Depends(kyc_relay)],
) -> Health:
    """200 ``ok`` when both answer and the relay runs, else 503 ``degraded`` naming what does not."""
    temporal = await rt.temporal.healthy()
    database = await run_in_threadpool(database_ok, rt.engine)
    ok = temporal and database and relay.running
    response.status_code = 200 if ok else 503
    return Health(
        status="ok" if ok else "degraded", temporal=temporal, database=database, kyc_relay=relay.running
    )
