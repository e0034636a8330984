"""Outgoing KYC webhooks: a persisted outbox, delivered in the background, signed as the vendor signs.

``X-Vobiz-Signature: sha256=<hex>``, the HMAC-SHA256 of the raw body keyed with the master account's auth
token; no timestamp, no event id header. An event is written in the same transaction as the change it
reports, so a restart resumes pending deliveries. Each delivery is retried until a 2xx, with exponential
backoff (``sandbox_webhook_backoff_s`` doubling) up to ``sandbox_webhook_max_attempts``; every attempt is
recorded under the event's id (ours: session id and event name, each happens once per session).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from datetime import timedelta

import httpx
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from config import Settings
from providers.kyc_models import KycWebhook, kyc_signature
from sandbox.db import WebhookAttempt, WebhookDelivery, aware, utcnow

log = logging.getLogger(__name__)

#: how long the loop sleeps at most when nothing wakes it
IDLE_S = 1.0
DELIVERY_TIMEOUT_S = 10.0
#: deliveries under way at once, one connection each; the rest wait their turn in the outbox. Unbounded,
#: a burst of events queued by the thousand on the HTTP pool, whose bookkeeping is quadratic in its queue
#: (1,000 approvals held the sandbox at a full core for minutes)
MAX_IN_FLIGHT = 50


SIGNATURE_HEADER = "X-Vobiz-Signature"


def event_id_for(event: KycWebhook) -> str:
    """The stable id of ``event``: one per session and kind of event."""
    return f"{event.session_id}:{event.event}"


class Outbox:
    """Queues webhook events in the database and delivers them from a background task."""

    def __init__(self, engine: Engine, settings: Settings) -> None:
        self.engine = engine
        self.settings = settings
        self._wake = asyncio.Event()
        self._in_flight: dict[str, asyncio.Task[None]] = {}

    def enqueue(self, session: Session, event: KycWebhook, url: str) -> None:
        """Add ``event`` for ``url`` to the caller's transaction (once per event id); call :meth:`wake`
        after the commit."""
        event_id = event_id_for(event)
        if session.get(WebhookDelivery, event_id) is None:
            payload = event.model_dump_json()
            session.add(WebhookDelivery(event_id=event_id, type=event.event, url=url, payload=payload))

    def wake(self) -> None:
        """Have the delivery loop look for due events now."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver due events until cancelled (then in-flight attempts are abandoned, and retried later)."""
        limits = httpx.Limits(max_connections=MAX_IN_FLIGHT, max_keepalive_connections=MAX_IN_FLIGHT)
        async with httpx.AsyncClient(timeout=DELIVERY_TIMEOUT_S, limits=limits) as client:
            try:
                while True:
                    self._wake.clear()
                    try:
                        pause = self._start_due(client)
                    except SQLAlchemyError:
                        log.exception("webhook outbox unreadable; trying again")
                        pause = IDLE_S
                    # not asyncio.wait_for: on Python 3.11 it loses a cancel that lands as the wake does
                    # (it returns the wait's result instead), and the sandbox never stopped
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(pause):
                            await self._wake.wait()
            finally:
                for task in self._in_flight.values():
                    task.cancel()
                await asyncio.gather(*self._in_flight.values(), return_exceptions=True)

    def _start_due(self, client: httpx.AsyncClient) -> float:
        """Start an attempt for every due event, up to :data:`MAX_IN_FLIGHT` under way; return the seconds
        until the next one is due (a finished attempt wakes the loop for the rest)."""
        now = utcnow()
        with Session(self.engine) as session:
            pending = session.exec(
                select(WebhookDelivery)
                .where(WebhookDelivery.state == "pending")
                .order_by(col(WebhookDelivery.next_attempt_at))
                .limit(2 * MAX_IN_FLIGHT)  # those under way, and as many to start: the rest wait anyway
            ).all()
        pause = IDLE_S
        for delivery in pending:
            due_in = (aware(delivery.next_attempt_at) - now).total_seconds()
            if due_in > 0:
                pause = min(pause, due_in)
            elif len(self._in_flight) >= MAX_IN_FLIGHT:
                break
            elif delivery.event_id not in self._in_flight:
                task = asyncio.create_task(self._attempt(client, delivery))
                self._in_flight[delivery.event_id] = task
        return pause

    async def _attempt(self, client: httpx.AsyncClient, delivery: WebhookDelivery) -> None:
        attempt = delivery.attempts + 1
        status_code: int | None = None
        error: str | None = None
        sent = time.perf_counter()
        try:
            body = delivery.payload.encode()
            token = self.settings.carrier_auth_token.get_secret_value()
            headers = {"content-type": "application/json", SIGNATURE_HEADER: kyc_signature(body, token)}
            response = await client.post(delivery.url, content=body, headers=headers)
            status_code = response.status_code
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        duration_ms = round((time.perf_counter() - sent) * 1000)
        try:
            self._record(delivery.event_id, attempt, status_code, error, duration_ms)
        finally:
            del self._in_flight[delivery.event_id]
            self.wake()

    def _record(
        self, event_id: str, attempt: int, status_code: int | None, error: str | None, duration_ms: int
    ) -> None:
        with Session(self.engine) as session:
            delivery = session.get(WebhookDelivery, event_id)
            if delivery is None:
                return
            session.add(
                WebhookAttempt(
                    event_id=event_id,
                    type=delivery.type,
                    url=delivery.url,
                    attempt=attempt,
                    status_code=status_code,
                    error=error,
                    duration_ms=duration_ms,
                )
            )
            delivery.attempts = attempt
            if status_code is not None and 200 <= status_code < 300:
                delivery.state = "delivered"
            elif attempt >= self.settings.sandbox_webhook_max_attempts:
                delivery.state = "failed"
                log.warning("webhook %s given up after %d attempts", event_id, attempt)
            else:
                backoff = self.settings.sandbox_webhook_backoff_s * 2 ** (attempt - 1)
                delivery.next_attempt_at = utcnow() + timedelta(seconds=backoff)
            session.add(delivery)
            session.commit()


def attempts(engine: Engine) -> list[dict[str, object]]:
    """Every delivery attempt, oldest first, as ``GET /_sandbox/webhooks`` lists them."""
    with Session(engine) as session:
        rows = session.exec(select(WebhookAttempt).order_by(col(WebhookAttempt.id))).all()
    return [
        {
            "event_id": row.event_id,
            "type": row.type,
            "url": row.url,
            "status_code": row.status_code,
            "attempt": row.attempt,
            "error": row.error,
            "duration_ms": row.duration_ms,
        }
        for row in rows
    ]
