"""A reseller's callback endpoint cannot stretch a delivery: one deadline for all of it, an answer's body
not read past a few kilobytes, and a pooled connection reused only for the host TLS checked it for."""

from __future__ import annotations

import asyncio
import ssl
import time
import tracemalloc
from collections.abc import AsyncIterator

import httpx
import pytest
import trustme

from callbacks.sender import CallbackFailed, CallbackSender
from callbacks.signing import CallbackSigner
from config import Settings
from tests.security.test_callback_destinations import callback_to
from tests.support.hostile import run_hostile_endpoint
from tests.support.receiver import run_receiver

SIGNER = CallbackSigner(Settings(_env_file=None).callback_signing_keys)


@pytest.fixture
async def sender() -> AsyncIterator[CallbackSender]:
    running = CallbackSender(SIGNER, deadline_s=1.0, public_only=False)
    yield running
    await running.aclose()


async def test_a_100_mb_answer_is_taken_as_delivered_without_reading_it(sender: CallbackSender) -> None:
    with run_hostile_endpoint() as hostile:
        tracemalloc.start()
        try:
            started = time.monotonic()
            await sender.send(callback_to(f"{hostile.base_url}/huge"))
            elapsed = time.monotonic() - started
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert hostile.requests == {"/huge": 1}
    assert peak < 8 * 1024 * 1024, f"{peak} bytes allocated while delivering"  # the body is 100 MB
    assert elapsed < 1.0


async def test_an_answer_dripping_byte_by_byte_is_given_up_at_the_deadline(sender: CallbackSender) -> None:
    with run_hostile_endpoint(drip_interval_s=0.05) as hostile:
        started = time.monotonic()
        with pytest.raises(CallbackFailed) as failed:
            await asyncio.wait_for(sender.send(callback_to(f"{hostile.base_url}/drip")), timeout=30)
        elapsed = time.monotonic() - started
    assert hostile.requests == {"/drip": 1}
    assert 1.0 <= elapsed < 2.0
    assert not failed.value.final
    assert str(failed.value) == "callback to 127.0.0.1 took longer than 1 s"


async def test_a_connection_is_reused_only_for_the_host_whose_name_tls_checked() -> None:
    """Production connects to the checked address of the host; two hosts on one address never share a
    connection, so the second host's certificate is checked and, here, refused."""
    ca = trustme.CA()
    server_tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("hooks.reseller-a.example").configure_cert(server_tls)
    client_tls = ssl.create_default_context()
    ca.configure_trust(client_tls)

    async def loopback(host: str, port: int) -> str:  # both names resolve to the same address
        return "127.0.0.1"

    production = CallbackSender(SIGNER, deadline_s=5.0, public_only=True, resolve=loopback, tls=client_tls)
    try:
        with run_receiver("/hook", tls=server_tls) as receiver:
            port = httpx.URL(receiver.url).port
            await production.send(callback_to(f"https://hooks.reseller-a.example:{port}/hook"))
            with pytest.raises(CallbackFailed) as refused:
                await production.send(callback_to(f"https://hooks.reseller-b.example:{port}/hook"))
    finally:
        await production.aclose()
    assert len(receiver.received) == 1
    assert str(refused.value) == "callback to hooks.reseller-b.example failed: ConnectError"
