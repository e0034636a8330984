"""In production a callback goes only over https to a public address, whatever the URL's spelling."""

from __future__ import annotations

import ipaddress
from collections.abc import AsyncIterator

import pytest

from callbacks.destinations import NotPublic, is_public, public_address
from callbacks.sender import CallbackFailed, CallbackSender
from config import Settings
from domain.onboarding import StatusCallback
from tests.support.documents import status_document
from tests.support.receiver import run_receiver


@pytest.fixture
async def production_sender() -> AsyncIterator[CallbackSender]:
    settings = Settings(_env_file=None).model_copy(update={"environment": "production"})
    sender = CallbackSender.from_settings(settings)
    yield sender
    await sender.aclose()


def callback_to(url: str) -> StatusCallback:
    document = status_document("completed", reference="x")
    return StatusCallback(url=url, reseller="default", event_id="onboarding-x:1", document=document)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://hooks.example.com/x", "must use https"),
        ("https://127.0.0.1/x", "private, loopback or link-local"),
        ("https://localhost./x", "local host name"),
    ],
)
async def test_production_refuses_for_good_what_is_not_public_https(
    production_sender: CallbackSender, url: str, reason: str
) -> None:
    with run_receiver() as receiver:
        with pytest.raises(CallbackFailed) as refused:
            await production_sender.send(callback_to(url))
        assert receiver.received == []
    assert refused.value.final and reason in str(refused.value)


async def test_a_name_resolving_into_the_private_network_is_refused() -> None:
    with pytest.raises(NotPublic):
        await public_address("localhost", 443)
    assert await public_address("8.8.8.8", 443) == "8.8.8.8"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("64:ff9b::808:808", True),
        ("10.0.0.1", False),
        ("169.254.169.254", False),
        ("::ffff:127.0.0.1", False),
        ("::7f00:1", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("2002:7f00:1::", False),
    ],
)
def test_ipv6_forms_carrying_a_private_ipv4_address_are_not_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public
