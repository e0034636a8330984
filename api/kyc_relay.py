"""The KYC relay: confirms and signals the webhook events the receiver recorded and answered.

The receiver answers the provider as soon as an event is in the inbox (``api/webhooks.py``); this relay,
in the same process, then does what used to hold the answer: a verdict is signalled only as the provider
confirms it on a GET of the session, a progress event with the documents' states.

- Each row is handed over at once; a row whose turn was lost (its process stopped, a retry came due) is
  found again by a sweep of the inbox every :attr:`KycRelay.sweep_s`.
- A claim holds a row for :data:`HOLD`, so that another API process leaves it alone; a process that stops
  releases its claims, one that is killed holds them that long. Behind a backlog longer than that, another
  process may take a row too: a second signal, which is harmless.
- A row that cannot be settled now (the provider has not decided or cannot be reached, Temporal is
  unreachable) is tried again later, backing off from ``kyc_relay_retry_s`` to ``kyc_relay_max_retry_s``,
  until :data:`GIVE_UP_AFTER`.

Outcomes are counted in ``api_kyc_relay``; a signal sent twice (two processes, a release) is harmless, the
workflow keeps the first of each session's verdicts and ignores repeated progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Literal, ParamSpec, TypeVar, get_args

import anyio
import anyio.to_thread
from fastapi import Request
from pydantic import BaseModel
from sqlalchemy.engine import Engine
from temporalio.service import RPCError

from api.errors import ApiError
from api.metrics import KYC_RELAY
from api.temporal import TemporalConnection, bounded, is_gone
from config import Settings
from domain.onboarding import (
    MAX_KYC_SESSION_DAYS,
    KycProgress,
    KycProgressEvent,
    KycResult,
    OnboardingState,
)
from providers.carrier import CarrierClient
from providers.errors import NotFound, ProviderError
from store import inbox, onboardings
from store.models import OnboardingRecord, WebhookEvent, as_utc, utcnow

log = logging.getLogger(__name__)

#: what a verdict event claims, to be confirmed by the provider
CLAIMED: dict[str, Literal["approved", "rejected", "expired"]] = {
    "kyc.completed": "approved",
    "kyc.failed": "rejected",
    "kyc.session_expired": "expired",
}
#: the events the relay signals: progress, and the verdicts once confirmed
RELAYED = frozenset(get_args(KycProgressEvent)) | frozenset(CLAIMED)
#: how long a claim keeps other processes off a row (the wait in the queue included)
HOLD = timedelta(minutes=2)
#: an event not settled by then is dropped: its session has expired, and the onboarding's own KYC poll
#: reads the verdict in any case
GIVE_UP_AFTER = timedelta(days=MAX_KYC_SESSION_DAYS + 1)

Outcome = Literal["signalled", "ignored", "retried", "given_up"]
P = ParamSpec("P")
T = TypeVar("T")


def retry_wait(settings: Settings, attempts: int) -> float:
    """Seconds before the next try of an event tried ``attempts`` times: the first wait, doubled each time,
    at most the longest."""
    doublings = min(max(attempts - 1, 0), 30)  # past the longest wait long before; no float overflow
    return float(min(settings.kyc_relay_retry_s * 2**doublings, settings.kyc_relay_max_retry_s))


class Retry(Exception):
    """The event cannot be settled now; the message says why."""


class KycRelay:
    """Relays the inbox's KYC events to their onboardings, ``concurrency`` at a time."""

    def __init__(
        self,
        settings: Settings,
        engine: Engine,
        temporal: TemporalConnection,
        carrier: CarrierClient,
        *,
        concurrency: int = 20,
    ) -> None:
        self._settings = settings
        self._engine = engine
        self._temporal = temporal
        self._carrier = carrier
        self._concurrency = concurrency
        #: as often as the first retry, at most every 5 s
        self.sweep_s = min(settings.kyc_relay_retry_s, 5.0)
        self._queue: asyncio.Queue[WebhookEvent] = asyncio.Queue()
        #: the rows this process claimed and has not finished with
        self._held: set[str] = set()
        self._running = False
        #: the relay's share of the threads that run database calls (the requests keep the rest)
        self._threads = anyio.CapacityLimiter(max(1, concurrency // 2))

    async def _db(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run the blocking database ``call`` in a thread of the relay's share."""
        return await anyio.to_thread.run_sync(functools.partial(call, *args, **kwargs), limiter=self._threads)

    def hand(self, event: WebhookEvent) -> None:
        """Relay ``event``, which the caller recorded claimed (``due_at`` :data:`HOLD` ahead), soon."""
        self._held.add(event.id)
        self._queue.put_nowait(event)

    async def release(self) -> None:
        """Give up this process's claims (it is stopping): the rows are due at once, for any process."""
        await self._db(inbox.due_again, self._engine, list(self._held), utcnow())

    @property
    def running(self) -> bool:
        """Whether :meth:`run` is running (``/healthz`` says so)."""
        return self._running

    async def run(self) -> None:
        """Relay handed and due events until cancelled."""
        self._running = True
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(self._concurrency):
                    group.create_task(self._relay_queued())
                group.create_task(self._sweep())
        finally:
            self._running = False

    async def _sweep(self) -> None:
        while True:
            if self._queue.qsize() < self._concurrency:
                try:
                    now = utcnow()
                    due = await self._db(inbox.claim_due, self._engine, now, now + HOLD, self._concurrency)
                except Exception:
                    log.exception("the KYC relay could not read the inbox")
                    due = []
                for event in due:
                    if event.id not in self._held:  # its claim ran out while it waited here
                        self.hand(event)
            await asyncio.sleep(self.sweep_s)

    async def _relay_queued(self) -> None:
        while True:
            event = await self._queue.get()
            try:
                KYC_RELAY.labels(await self.relay(event)).inc()
            except Exception:  # the database failed us: the row stays claimed, then the sweep takes it
                log.exception("KYC event %s left for the sweep", event.id)
                KYC_RELAY.labels("failed").inc()
            # (cancelled, the process is stopping: the row stays held, for release() to give back)
            self._held.discard(event.id)

    async def relay(self, event: WebhookEvent) -> Outcome:
        """Settle ``event`` (signalled, or nothing to signal), or leave it to be tried again."""
        try:
            signalled = await self._settle(event)
        except Retry as why:
            return await self._later(event, str(why))
        except Exception:
            log.exception("KYC event %s not relayed", event.id)
            return await self._later(event, "an unexpected error")
        await self._db(inbox.mark_signalled, self._engine, event.id)
        return "signalled" if signalled else "ignored"

    async def _later(self, event: WebhookEvent, why: str) -> Outcome:
        now = utcnow()
        if now - as_utc(event.received_at) > GIVE_UP_AFTER:
            log.warning("KYC event %s given up after %d tries: %s", event.id, event.attempts, why)
            await self._db(inbox.mark_signalled, self._engine, event.id)
            return "given_up"
        wait = retry_wait(self._settings, event.attempts)
        log.info("KYC event %s tried again in %.0f s: %s", event.id, wait, why)
        await self._db(inbox.due_again, self._engine, [event.id], now + timedelta(seconds=wait))
        return "retried"

    async def _settle(self, event: WebhookEvent) -> bool:
        """Signal ``event``'s onboarding if it is still due one; whether a signal went out."""
        if event.type not in RELAYED:  # a row recorded before the relay, of an event never signalled
            return False
        owner = await self._db(onboardings.kyc_session_owner, self._engine, event.session_id)
        if owner is None or owner.superseded:
            return False
        record = owner.record
        occurred_at = as_utc(event.received_at)  # the body's own times are not published
        if event.type in CLAIMED:
            outcome = CLAIMED[event.type]
            if not await self._confirmed(record, event, outcome):
                return False
            result = KycResult(
                event_id=event.id, session_id=event.session_id, outcome=outcome, occurred_at=occurred_at
            )
            return await self._signal(record.id, "kyc_result", result)
        progress = KycProgress.model_validate(
            {
                "event_id": event.id,
                "session_id": event.session_id,
                "event": event.type,
                "occurred_at": occurred_at,
                "documents": await self._documents(record),
            }
        )
        if not await self._signal(record.id, "kyc_progress", progress):
            return False
        await self._db(onboardings.record_progress, self._engine, record.id, progress)
        return True

    async def _documents(self, record: OnboardingRecord) -> dict[str, str] | None:
        """The provider's state of each KYC document of the onboarding's sub-account; None when it cannot be
        read now (progress is shown without it: it is a nicety, not worth a retry)."""
        sub_auth_id = OnboardingState.model_validate_json(record.document).sub_account_id
        if sub_auth_id is None:
            return None
        try:
            status = await self._carrier.get_kyc_status(sub_auth_id)
        except ProviderError as exc:
            log.info("KYC documents of %s not read: %s", sub_auth_id, exc.message)
            return None
        return {name: state for name, state in status.verifications.items() if isinstance(state, str)}

    async def _confirmed(self, record: OnboardingRecord, event: WebhookEvent, outcome: str) -> bool:
        """Whether the provider's session GET confirms ``outcome`` (False: it says otherwise); :class:`Retry`
        when it cannot be asked or has not decided yet."""
        sub_auth_id = OnboardingState.model_validate_json(record.document).sub_account_id
        if sub_auth_id is None:
            raise Retry("the KYC session's sub-account is not recorded yet")
        try:
            verdict = await self._carrier.kyc_verdict(sub_auth_id, event.session_id)
        except NotFound:
            verdict = None
        except ProviderError as exc:
            raise Retry(f"the provider could not confirm it: {exc.message}") from None
        if verdict is None:
            raise Retry("the provider has not decided the session yet")
        if verdict != outcome:
            log.warning(
                "KYC %s for session %s ignored: the provider says %s", event.type, event.session_id, verdict
            )
            return False
        return True

    async def _signal(self, workflow_id: str, name: str, payload: BaseModel) -> bool:
        """Signal the onboarding; False when its workflow is gone, :class:`Retry` when Temporal is
        unreachable."""
        try:
            client = await self._temporal.client()
            async with bounded():
                await client.get_workflow_handle(workflow_id).signal(name, payload)
        except ApiError as exc:
            raise Retry(str(exc)) from None
        except RPCError as exc:
            if not is_gone(exc):
                raise
            return False
        return True


def _stopped(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the KYC relay stopped: accepted KYC events wait for a restart", exc_info=task.exception())


def kyc_relay(request: Request) -> KycRelay:
    """The app's relay (a route dependency)."""
    relay: KycRelay = request.app.state.kyc_relay
    return relay


@contextlib.asynccontextmanager
async def running(relay: KycRelay) -> AsyncIterator[None]:
    """Run ``relay`` while the block runs; when it ends, stop it and release what it had not settled."""
    task = asyncio.create_task(relay.run(), name="kyc-relay")
    task.add_done_callback(_stopped)
    try:
        yield
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        except Exception:
            log.exception("the KYC relay had stopped")
        try:
            await relay.release()
        except Exception:
            log.exception("the KYC relay's claims were not released: other processes wait %s for them", HOLD)
