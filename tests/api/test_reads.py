"""Reads come from the database the workflow mirrors into: they answer at once with no worker up, and a
read right after a write answers what the write answered (or newer)."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import create_engine

from api.runtime import Runtime
from api.temporal import TemporalConnection
from config import Settings
from domain.onboarding import KycInfo
from providers.carrier import CarrierClient
from store.onboardings import get_state, save_state
from tests.api.harness import RunningApi, onboarding_body


async def test_reads_answer_from_the_database_while_no_worker_runs(api: RunningApi) -> None:
    async with api.async_client() as client:
        started = await client.post("/v1/onboardings", json=onboarding_body(f"reads-{uuid.uuid4().hex[:8]}"))
        onboarding_id = started.json()["id"]
        right_after = await client.get(f"/v1/onboardings/{onboarding_id}")
        assert right_after.json() == started.json()

        stored = get_state(api.engine, onboarding_id)
        assert stored is not None
        mirrored = stored.model_copy(
            update={
                "status": "awaiting_kyc",
                "kyc": KycInfo(session_id="kyc_reads", status="pending", flow="email"),
                "updated_at": datetime.now(UTC),
            }
        )
        save_state(api.engine, mirrored)  # as the workflow's mirror writes it
        began = time.monotonic()
        reads = [await client.get(f"/v1/onboardings/{onboarding_id}") for _ in range(5)]
        elapsed = time.monotonic() - began
        listed = await client.get("/v1/onboardings", params={"status": "awaiting_kyc", "limit": 100})
        cancelled = await client.post(f"/v1/onboardings/{onboarding_id}/cancel")
        after_cancel = await client.get(f"/v1/onboardings/{onboarding_id}")

    # no workflow is asked (no worker could answer it): five reads take far less than one query's wait
    assert elapsed < 2.0, elapsed
    assert {read.json()["status"] for read in reads} == {"awaiting_kyc"}
    assert reads[0].json()["kyc"]["session_id"] == "kyc_reads"
    assert onboarding_id in [item["id"] for item in listed.json()["items"]]
    assert cancelled.status_code == 202 and after_cancel.json() == cancelled.json()


@pytest.mark.parametrize(
    ("url", "inline"), [("sqlite://", True), ("postgresql+psycopg://u@127.0.0.1:1/db", False)]
)
async def test_a_row_read_runs_inline_on_sqlite_and_in_a_thread_on_postgresql(url: str, inline: bool) -> None:
    """The status GET's lookup: on SQLite it skips the thread hop (a third of a GET's CPU under load); on
    PostgreSQL, a network round trip, it never holds up the event loop."""
    settings = Settings(database_url=url)
    async with httpx.AsyncClient() as http:
        rt = Runtime(
            settings=settings,
            engine=create_engine(url),  # never connected: the read below does not touch it
            temporal=TemporalConnection(settings),
            carrier=CarrierClient.from_settings(http, settings),
        )
        assert (await rt.read_row(threading.get_ident) == threading.get_ident()) is inline
