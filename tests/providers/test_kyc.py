"""The carrier client's hosted-KYC calls against the sandbox: both flows, the status, the verdict."""

from __future__ import annotations

import pytest

from providers import Providers
from providers.errors import NotFound
from providers.kyc_models import KycSessionCreate
from tests.providers.conftest import NOWHERE, SandboxControl
from tests.providers.test_carrier import create_customer, kyc_body


async def test_redirect_session_status_and_approved_verdict(
    providers: Providers, control: SandboxControl
) -> None:
    carrier = providers.carrier
    sub = (await create_customer(providers)).sub_account
    before = await carrier.get_kyc_status(sub.auth_id)
    assert before.kyc_calls_blocked and before.overall_status == "not_started"
    assert set(before.verifications) == {"pan", "gst", "cin", "aadhaar"}

    created = await carrier.start_kyc_session(sub.auth_id, kyc_body(providers))
    assert created.status == "link_ready" and created.widget_url and created.widget_url.startswith("http")
    session = await carrier.get_kyc_session(sub.auth_id, created.session_id)
    assert (session.id, session.status, session.expires_at) == (
        created.session_id,
        "link_ready",
        created.expires_at,
    )
    assert session.account_auth_id == carrier.auth_id and session.kyc_type is None
    assert await carrier.kyc_verdict(sub.auth_id, created.session_id) is None

    await control.complete_kyc(created.session_id, "approved")

    assert (await carrier.get_kyc_session(sub.auth_id, created.session_id)).status == "kyc_completed"
    assert await carrier.kyc_verdict(sub.auth_id, created.session_id) == "approved"
    after = await carrier.get_kyc_status(sub.auth_id)
    assert after.overall_status == "verified" and not after.kyc_calls_blocked
    with pytest.raises(NotFound):
        await carrier.get_kyc_session(sub.auth_id, "no-such-session")


async def test_email_session_rejected_revoked_and_expired_verdicts(
    providers: Providers, control: SandboxControl
) -> None:
    carrier = providers.carrier
    sub = (await create_customer(providers)).sub_account
    email = KycSessionCreate(
        account_auth_id=carrier.auth_id, customer_email="owner@acme.example", webhook_url=NOWHERE
    )
    rejected = await carrier.start_kyc_session(sub.auth_id, email, idempotency_key=None)
    assert rejected.status == "email_sent" and rejected.widget_url is None
    await control.complete_kyc(rejected.session_id, "rejected")
    assert await carrier.kyc_verdict(sub.auth_id, rejected.session_id) == "rejected"

    revoked = await carrier.start_kyc_session(sub.auth_id, email)
    expired = await carrier.start_kyc_session(sub.auth_id, email)
    assert await carrier.kyc_verdict(sub.auth_id, revoked.session_id) == "revoked"
    await control.expire_kyc(expired.session_id)
    assert await carrier.kyc_verdict(sub.auth_id, expired.session_id) == "expired"


async def test_a_session_for_an_unknown_sub_account_is_refused(providers: Providers) -> None:
    with pytest.raises(NotFound):
        await providers.carrier.start_kyc_session("SA_NOBODY", kyc_body(providers))
    with pytest.raises(NotFound):
        await providers.carrier.get_kyc_status("SA_NOBODY")
