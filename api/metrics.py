"""Prometheus metrics of the API, served at ``GET /metrics``: requests by route and status, latency,
KYC webhook events by outcome and starts refused by a quota."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Depends, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest, start_http_server

from api.auth import operator_in_production
from api.errors import error_responses

REQUESTS = Counter("api_requests", "API requests by route, method and status", ["route", "method", "status"])
LATENCY = Histogram("api_request_seconds", "API request latency by route", ["route"])
WEBHOOK_EVENTS = Counter("api_webhook_events", "KYC webhook deliveries by outcome", ["outcome"])
#: resellers are few and named by the operator (``onboard keys``), so they make a bounded label
QUOTA_REFUSALS = Counter(
    "api_quota_refusals", "Starts refused by a quota, by quota and reseller", ["quota", "reseller"]
)

router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"description": "text exposition"}, **error_responses(401)},
    dependencies=[Depends(operator_in_production)],
    # the operator key only in production: optional as far as the document can say
    openapi_extra={"security": [{}, {"OperatorKey": []}]},
)
def metrics() -> Response:
    """The Prometheus text exposition of this process's metrics (in production for the operator key only)."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@contextmanager
def ops_listener(host: str, port: int) -> Iterator[None]:
    """Serve the same metrics without a key on ``host:port`` (``ONBOARD_OPS_PORT``; 0: no listener), apart
    from the reseller port, until the block ends: for a scraper inside the deployment's network, which then
    needs no operator key."""
    if port == 0:
        yield
        return
    server, thread = start_http_server(port, addr=host)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
