"""The KYC relay keeps going whatever one event does to it (and says when it has stopped), and its retries
back off to a ceiling."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path

import httpx
from prometheus_client import REGISTRY
from pydantic import SecretStr
from sqlalchemy import create_engine

from api.kyc_relay import KycRelay, retry_wait
from api.temporal import TemporalConnection
from config import Settings
from providers.carrier import CarrierClient
from store.models import WebhookEvent, utcnow


def test_retries_double_up_to_the_longest_wait_however_many_tries() -> None:
    settings = Settings(kyc_relay_retry_s=2, kyc_relay_max_retry_s=300)
    assert [retry_wait(settings, n) for n in (1, 2, 3, 8, 9)] == [2, 4, 8, 256, 300]
    assert retry_wait(settings, 5000) == 300  # tried every 5 minutes for weeks: no overflow


def failed() -> float:
    """Events the relay counted ``failed`` so far, as ``/metrics`` shows them."""
    return REGISTRY.get_sample_value("api_kyc_relay_total", {"outcome": "failed"}) or 0.0


async def test_an_event_the_database_fails_does_not_stop_the_relay(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, carrier_auth_token=SecretStr("t"))
    broken = create_engine(f"sqlite:///{tmp_path / 'no-tables.db'}")  # every inbox call fails
    before = failed()
    async with httpx.AsyncClient() as http:
        relay = KycRelay(
            settings, broken, TemporalConnection(settings), CarrierClient.from_settings(http, settings)
        )
        running = asyncio.create_task(relay.run())
        try:
            for n in range(3):
                now = utcnow()
                relay.hand(
                    WebhookEvent(
                        id=f"s{n}:kyc.initiated",
                        type="kyc.initiated",
                        session_id=f"s{n}",
                        received_at=now,
                        due_at=now,
                    )
                )
            for _ in range(100):
                if failed() - before >= 3:
                    break
                await asyncio.sleep(0.05)
            assert failed() - before == 3
            assert not running.done() and relay.running, "the relay stopped"
        finally:
            running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        assert not relay.running  # what /healthz reports as degraded
