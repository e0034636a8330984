"""Prometheus metrics of the API, served at ``GET /metrics``: requests by route and status, latency,
KYC webhook events by outcome, starts refused by a quota, and agent-platform capacity read from the
database at each scrape."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from api.auth import operator_in_production
from api.errors import error_responses
from store import agent_capacity

log = logging.getLogger("api")

REQUESTS = Counter("api_requests", "API requests by route, method and status", ["route", "method", "status"])
LATENCY = Histogram("api_request_seconds", "API request latency by route", ["route"])
WEBHOOK_EVENTS = Counter("api_webhook_events", "KYC webhook deliveries by outcome", ["outcome"])
KYC_RELAY = Counter("api_kyc_relay", "KYC events relayed from the inbox, by outcome", ["outcome"])
#: resellers are few and named by the operator (``onboard keys``), so they make a bounded label
QUOTA_REFUSALS = Counter(
    "api_quota_refusals", "Starts refused by a quota, by quota and reseller", ["quota", "reseller"]
)


class AgentCapacity(Collector):
    """Agent-platform capacity as the database holds it, read at each scrape: slots used and the limit
    per account, whether the platform said an account is full, and the onboardings waiting for a slot."""

    def __init__(self, engine: Engine, accounts: list[str]) -> None:
        self.engine = engine
        self.accounts = accounts

    def collect(self) -> Iterator[Metric]:
        """The gauges; none while the database cannot be read (logged)."""
        try:
            use = agent_capacity.usage(self.engine, self.accounts)
            waiting = agent_capacity.waiting_count(self.engine)
        except SQLAlchemyError as error:
            log.warning("agent capacity metrics unavailable: %s", type(error).__name__)
            return
        per_account = ["account"]
        used = GaugeMetricFamily("agent_slots_used", "Agent-platform slots taken", labels=per_account)
        limit = GaugeMetricFamily(
            "agent_slots_limit", "Agent-platform sub-accounts allowed", labels=per_account
        )
        full = GaugeMetricFamily(
            "agent_account_full", "1 while the platform says it is full", labels=per_account
        )
        for account in use:
            used.add_metric([account.name], account.used)
            limit.add_metric([account.name], account.limit)
            full.add_metric([account.name], 0 if account.full_since is None else 1)
        yield from (used, limit, full)
        name = "onboardings_awaiting_agent_capacity"
        yield GaugeMetricFamily(name, "Onboardings waiting for an agent-platform slot", value=waiting)


class _Process(Collector):
    """Everything the process registry holds (requests, latency, webhooks, quotas, Python)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def app_registry(engine: Engine, accounts: list[str]) -> CollectorRegistry:
    """What one app serves at ``/metrics`` and on the ops port: the process's metrics and the capacity
    gauges of its own database."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_Process())
    registry.register(AgentCapacity(engine, accounts))
    return registry


router = APIRouter(tags=["operations"])


@router.get(
    "/metrics",
    response_class=PlainTextResponse,
    responses={200: {"description": "text exposition"}, **error_responses(401)},
    dependencies=[Depends(operator_in_production)],
    # the operator key only in production: optional as far as the document can say
    openapi_extra={"security": [{}, {"OperatorKey": []}]},
)
def metrics(request: Request) -> Response:
    """The Prometheus text exposition of this process's metrics (in production for the operator key only)."""
    registry: CollectorRegistry = request.app.state.metrics_registry
    return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)


@contextmanager
def ops_listener(host: str, port: int, registry: CollectorRegistry = REGISTRY) -> Iterator[None]:
    """Serve the same metrics without a key on ``host:port`` (``ONBOARD_OPS_PORT``; 0: no listener), apart
    from the reseller port, until the block ends: for a scraper inside the deployment's network, which then
    needs no operator key."""
    if port == 0:
        yield
        return
    server, thread = start_http_server(port, addr=host, registry=registry)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
