"""Hosted KYC sessions and what they do to a sub-account's KYC status and call blocking.

A sub-account has at most one pending session: starting a new one marks older pending ones expired
(without a webhook: the caller replaced them). Completing or expiring a session is final (409 after),
and queues the ``kyc.session.completed`` / ``kyc.session.expired`` webhook to the session's URL.
Due sessions expire when read and, within a second, from a background task.
The ``email`` flow sends no email here: its session has the same ``widget_url`` as a redirect one.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from config import Settings
from providers.carrier_models import (
    KycSession,
    KycSessionCreate,
    KycStatus,
    KycWebhookData,
    KycWebhookEvent,
    VerificationState,
)
from sandbox.db import KycSessionRow, SubAccountRow, aware, utcnow
from sandbox.errors import ApiError, conflict, not_found
from sandbox.webhooks import Outbox

log = logging.getLogger(__name__)
VERIFICATIONS = ("pan", "gst", "cin", "aadhaar")
Outcome = Literal["approved", "rejected"]
EXPIRY_SWEEP_S = 1.0


def calls_blocked(sub: SubAccountRow, settings: Settings, now: datetime | None = None) -> bool:
    """``customer_use`` calls stay blocked until KYC is verified and the unblock delay has passed."""
    if sub.kyc_mode != "customer_use":
        return False
    if sub.kyc_status != "verified" or sub.verified_at is None:
        return True
    lifted_at = aware(sub.verified_at) + timedelta(seconds=settings.sandbox_unblock_delay_s)
    return (now or utcnow()) < lifted_at


def _verifications(sub: SubAccountRow) -> dict[str, VerificationState]:
    state: VerificationState = sub.kyc_status  # type: ignore[assignment]
    return dict.fromkeys(VERIFICATIONS, state)


def kyc_status(sub: SubAccountRow, settings: Settings) -> KycStatus:
    """The answer of ``GET /sub-accounts/{sub}/kyc/status``."""
    return KycStatus.model_validate(
        {
            "sub_account_id": sub.auth_id,
            "kyc_mode": sub.kyc_mode,
            "business_type": sub.business_type,
            "overall_status": sub.kyc_status,
            "kyc_calls_blocked": calls_blocked(sub, settings),
            "verifications": _verifications(sub),
        }
    )


def session_view(row: KycSessionRow, settings: Settings) -> KycSession:
    """The wire view of a session; its ``widget_url`` is the sandbox's hosted page."""
    return KycSession.model_validate(
        {
            "session_id": row.session_id,
            "sub_auth_id": row.sub_auth_id,
            "flow_type": row.flow_type,
            "widget_url": f"{settings.sandbox_public_url.rstrip('/')}/kyc/{row.token}",
            "status": row.status,
            "expires_at": aware(row.expires_at),
            "created_at": aware(row.created_at),
        }
    )


def start_session(
    session: Session, sub: SubAccountRow, body: KycSessionCreate, master_id: str
) -> KycSessionRow:
    """Open a pending session for ``sub`` (superseding pending ones) and mark its KYC pending."""
    if body.account_auth_id != master_id:
        raise ApiError(422, "invalid_request", "account_auth_id is not this account", field="account_auth_id")
    if sub.kyc_mode != "customer_use":
        raise conflict("personal_use sub-accounts inherit the parent account's KYC")
    if sub.kyc_status == "verified":
        raise conflict("the sub-account's KYC is already verified")
    for older in pending_sessions(session, sub.auth_id):
        older.status = "expired"
        session.add(older)
    now = utcnow()
    row = KycSessionRow(
        session_id=f"kyc_{secrets.token_hex(12)}",
        token=secrets.token_urlsafe(24),
        sub_auth_id=sub.auth_id,
        flow_type=body.flow_type,
        webhook_url=body.webhook_url,
        expires_at=now + timedelta(days=body.expires_in_days),
        created_at=now,
    )
    sub.kyc_status = "pending"
    session.add(sub)
    session.add(row)
    return row


def pending_sessions(session: Session, sub_auth_id: str) -> list[KycSessionRow]:
    """The sub-account's pending sessions."""
    query = select(KycSessionRow).where(
        KycSessionRow.sub_auth_id == sub_auth_id, KycSessionRow.status == "pending"
    )
    return list(session.exec(query).all())


def _notify(session: Session, outbox: Outbox, row: KycSessionRow, sub: SubAccountRow | None) -> None:
    kind: Literal["kyc.session.completed", "kyc.session.expired"] = (
        "kyc.session.expired" if row.status == "expired" else "kyc.session.completed"
    )
    overall = sub.kyc_status if sub is not None else "not_started"
    data = KycWebhookData.model_validate(
        {
            "session_id": row.session_id,
            "sub_auth_id": row.sub_auth_id,
            "overall_status": overall,
            "verifications": dict.fromkeys(VERIFICATIONS, overall),
            "occurred_at": utcnow(),
        }
    )
    outbox.enqueue(session, KycWebhookEvent(type=kind, data=data), row.webhook_url)


def _ensure_pending(session: Session, outbox: Outbox, row: KycSessionRow) -> None:
    """Raise 409 unless ``row`` is pending (an expiry noticed here is committed first)."""
    if refresh(session, outbox, row):
        session.commit()
        outbox.wake()
    if row.status != "pending":
        raise conflict(f"the KYC session is already {row.status}")


def complete(session: Session, outbox: Outbox, row: KycSessionRow, outcome: Outcome) -> None:
    """Finish a pending session as the customer decided; the sub-account's KYC follows."""
    _ensure_pending(session, outbox, row)
    sub = session.get(SubAccountRow, row.sub_auth_id)
    row.status = outcome
    if sub is not None:
        sub.kyc_status = "verified" if outcome == "approved" else "failed"
        sub.verified_at = utcnow() if outcome == "approved" else None
        session.add(sub)
    session.add(row)
    _notify(session, outbox, row, sub)


def expire(session: Session, outbox: Outbox, row: KycSessionRow) -> None:
    """Expire a pending session now; the sub-account's KYC goes back to not started."""
    _ensure_pending(session, outbox, row)
    _expire(session, outbox, row)


def _expire(session: Session, outbox: Outbox, row: KycSessionRow) -> None:
    sub = session.get(SubAccountRow, row.sub_auth_id)
    row.status = "expired"
    if sub is not None and sub.kyc_status == "pending":
        sub.kyc_status = "not_started"
        session.add(sub)
    session.add(row)
    _notify(session, outbox, row, sub)


def refresh(session: Session, outbox: Outbox, row: KycSessionRow) -> bool:
    """Expire ``row`` if it is pending and past its time (the caller commits); whether it did."""
    if row.status == "pending" and aware(row.expires_at) <= utcnow():
        _expire(session, outbox, row)
        return True
    return False


def find_by_token(session: Session, token: str) -> KycSessionRow:
    """The session behind a hosted page address."""
    row = session.exec(select(KycSessionRow).where(KycSessionRow.token == token)).first()
    if row is None:
        raise not_found("KYC session")
    return row


def expire_due(session: Session, outbox: Outbox) -> int:
    """Expire every pending session past its time; return how many."""
    query = select(KycSessionRow).where(
        KycSessionRow.status == "pending", col(KycSessionRow.expires_at) <= utcnow()
    )
    due = list(session.exec(query).all())
    for row in due:
        _expire(session, outbox, row)
    return len(due)


async def sweep_expired(outbox: Outbox) -> None:
    """Expire due sessions every second until cancelled."""
    while True:
        try:
            with Session(outbox.engine) as session:
                if expire_due(session, outbox):
                    session.commit()
                    outbox.wake()
        except SQLAlchemyError:
            log.exception("expiry sweep failed; trying again")
        await asyncio.sleep(EXPIRY_SWEEP_S)
