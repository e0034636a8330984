"""Prometheus metrics of the API, served at ``GET /metrics``: requests by route and status, latency,
KYC webhook events by outcome and starts refused by a quota."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest

REQUESTS = Counter("api_requests", "API requests by route, method and status", ["route", "method", "status"])
LATENCY = Histogram("api_request_seconds", "API request latency by route", ["route"])
WEBHOOK_EVENTS = Counter("api_webhook_events", "KYC webhook deliveries by outcome", ["outcome"])
#: resellers are few and named by the operator (``onboard keys``), so they make a bounded label
QUOTA_REFUSALS = Counter(
    "api_quota_refusals", "Starts refused by a quota, by quota and reseller", ["quota", "reseller"]
)

router = APIRouter(tags=["operations"])


@router.get("/metrics", response_class=PlainTextResponse, responses={200: {"description": "text exposition"}})
def metrics() -> Response:
    """The Prometheus text exposition of this process's metrics."""
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)
