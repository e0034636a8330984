"""In production a callback goes only over https to a public address, whatever the URL's spelling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest

from activities.models import StatusCallback
from callbacks.destinations import resolution_refusal
from callbacks.sender import CallbackFailed, CallbackSender
from config import Settings
from tests.support.receiver import run_receiver
from workflows.models import OnboardingState


@pytest.fixture
async def production_sender() -> AsyncIterator[CallbackSender]:
    settings = Settings(_env_file=None).model_copy(update={"environment": "production"})
    sender = CallbackSender.from_settings(settings)
    yield sender
    await sender.aclose()


def callback_to(url: str) -> StatusCallback:
    now = datetime.now(UTC)
    document = OnboardingState(
        id="onboarding-x",
        reference="x",
        status="completed",
        kyc_mode="personal_use",
        created_at=now,
        updated_at=now,
    )
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
    assert (
        await resolution_refusal("localhost", 443) == "resolves to a private, loopback or link-local address"
    )
    assert await resolution_refusal("8.8.8.8", 443) is None
