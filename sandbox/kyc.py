"""Hosted KYC sessions under ``/api/v1``, what they do to a sub-account's KYC status and call blocking,
and the webhooks they send.

A session starts ``email_sent`` (email flow: the sandbox records the email instead of sending it, see
``GET /_sandbox/kyc-sessions/{id}/email``) or ``link_ready`` (redirect flow: ``widget_url`` in the answer),
then goes ``opened`` (``kyc.initiated``) → ``in_progress`` (``kyc.submitted``) → ``kyc_completed``
(``kyc.completed`` or ``kyc.failed``, the sub-account's KYC status says which). A sub-account has one
active session: creating one revokes the previous (``kyc.session_revoked``). A session past its time
expires (``expired``, ours; ``kyc.session_expired``) when read and, within a second, from a background
task. Terminal sessions refuse every change with 409.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session, col, select

from config import Settings
from providers.carrier_models import VerificationState
from providers.kyc_models import (
    ACTIVE_STATUSES,
    KycEvent,
    KycSession,
    KycSessionCreate,
    KycSessionCreated,
    KycStatus,
    KycWebhook,
)
from sandbox.context import SandboxContext, context, db
from sandbox.db import KycSessionRow, SubAccountRow, aware, utcnow
from sandbox.errors import ApiError, conflict, found, not_found
from sandbox.paths import CARRIER_PREFIX
from sandbox.webhooks import Outbox
from sandbox.wire import respond

log = logging.getLogger(__name__)
router = APIRouter(prefix=CARRIER_PREFIX)
Db = Annotated[Session, Depends(db)]
Ctx = Annotated[SandboxContext, Depends(context)]
VERIFICATIONS = ("pan", "gst", "cin", "aadhaar")
Outcome = Literal["approved", "rejected"]
EXPIRY_SWEEP_S = 1.0
_LINK_STATUSES = ("email_sent", "link_ready")


def calls_blocked(sub: SubAccountRow, settings: Settings, now: datetime | None = None) -> bool:
    """``customer_use`` calls stay blocked until KYC is verified and the unblock delay has passed."""
    if sub.kyc_mode != "customer_use":
        return False
    if sub.kyc_status != "verified" or sub.verified_at is None:
        return True
    lifted_at = aware(sub.verified_at) + timedelta(seconds=settings.sandbox_unblock_delay_s)
    return (now or utcnow()) < lifted_at


def _overall(sub: SubAccountRow | None) -> VerificationState:
    state: VerificationState = sub.kyc_status if sub is not None else "not_started"  # type: ignore[assignment]
    return state


def kyc_status(sub: SubAccountRow, settings: Settings) -> KycStatus:
    """The answer of ``GET /sub-accounts/{sub}/kyc/status`` (one state per document is ours)."""
    overall = _overall(sub)
    return KycStatus(
        overall_status=overall,
        kyc_calls_blocked=calls_blocked(sub, settings),
        verifications=dict.fromkeys(VERIFICATIONS, overall),
    )


def link(row: KycSessionRow, settings: Settings) -> str:
    """The hosted page of ``row``: the redirect flow's ``widget_url``, the email flow's emailed link."""
    return f"{settings.sandbox_public_url.rstrip('/')}/kyc/{row.token}"


def created_view(row: KycSessionRow, settings: Settings) -> KycSessionCreated:
    """The answer to session creation: only the redirect flow hands out the link."""
    return KycSessionCreated(
        session_id=row.session_id,
        status=row.status,
        widget_url=link(row, settings) if row.flow_type == "redirect" else None,
        expires_at=aware(row.expires_at),
    )


def session_view(row: KycSessionRow) -> KycSession:
    """The session as its GET answers it."""
    return KycSession(
        id=row.session_id,
        account_auth_id=row.account_auth_id,
        status=row.status,
        expires_at=aware(row.expires_at),
    )


def pending_sessions(session: Session, sub_auth_id: str) -> list[KycSessionRow]:
    """The sub-account's active sessions (at most one, barring a race)."""
    query = select(KycSessionRow).where(
        KycSessionRow.sub_auth_id == sub_auth_id, col(KycSessionRow.status).in_(ACTIVE_STATUSES)
    )
    return list(session.exec(query).all())


def _notify(session: Session, outbox: Outbox, row: KycSessionRow, event: KycEvent) -> None:
    if row.webhook_url is None:
        return
    sub = session.get(SubAccountRow, row.sub_auth_id)
    overall = _overall(sub)
    body = KycWebhook(
        event=event,
        session_id=row.session_id,
        sub_auth_id=row.sub_auth_id,
        overall_status=overall,
        verifications=dict.fromkeys(VERIFICATIONS, overall),
        occurred_at=utcnow(),
    )
    outbox.enqueue(session, body, row.webhook_url)


def start_session(
    session: Session, outbox: Outbox, sub: SubAccountRow, body: KycSessionCreate
) -> KycSessionRow:
    """Open a session for ``sub`` (revoking its active one) and mark its KYC pending."""
    if body.account_auth_id not in (outbox.settings.carrier_auth_id, sub.auth_id):  # ours: either account
        raise ApiError(422, "invalid_request", "account_auth_id is not this account", field="account_auth_id")
    if sub.kyc_mode != "customer_use":
        raise conflict("personal_use sub-accounts inherit the parent account's KYC")
    if sub.kyc_status == "verified":
        raise conflict("the sub-account's KYC is already verified")
    for older in pending_sessions(session, sub.auth_id):
        older.status = "revoked"
        session.add(older)
        _notify(session, outbox, older, "kyc.session_revoked")
    now = utcnow()
    row = KycSessionRow(
        session_id=f"kyc_{secrets.token_hex(12)}",
        token=secrets.token_urlsafe(24),
        sub_auth_id=sub.auth_id,
        account_auth_id=body.account_auth_id,
        flow_type=body.flow_type,
        customer_email=None if body.customer_email is None else str(body.customer_email),
        redirect_url=body.redirect_url,
        webhook_url=body.webhook_url,
        status="email_sent" if body.flow_type == "email" else "link_ready",
        expires_at=now + timedelta(days=body.expires_in_days),
        created_at=now,
    )
    sub.kyc_status = "pending"
    session.add(sub)
    session.add(row)
    return row


def _ensure_active(session: Session, outbox: Outbox, row: KycSessionRow) -> None:
    """Raise 409 unless ``row`` is active (an expiry noticed here is committed first)."""
    if refresh(session, outbox, row):
        session.commit()
        outbox.wake()
    if row.status not in ACTIVE_STATUSES:
        raise conflict(f"the KYC session is already {row.status}")


def open_link(session: Session, outbox: Outbox, row: KycSessionRow) -> None:
    """The customer opened the link (``kyc.initiated``); opening it again changes nothing."""
    _ensure_active(session, outbox, row)
    if row.status in _LINK_STATUSES:
        row.status = "opened"
        session.add(row)
        _notify(session, outbox, row, "kyc.initiated")


def submit(session: Session, outbox: Outbox, row: KycSessionRow) -> None:
    """The customer submitted the documents (``kyc.submitted``), opening the link first if needed."""
    open_link(session, outbox, row)
    if row.status == "opened":
        row.status = "in_progress"
        session.add(row)
        _notify(session, outbox, row, "kyc.submitted")


def complete(session: Session, outbox: Outbox, row: KycSessionRow, outcome: Outcome) -> None:
    """Finish an active session with the provider's decision (submitting first if needed)."""
    submit(session, outbox, row)
    sub = session.get(SubAccountRow, row.sub_auth_id)
    row.status = "kyc_completed"
    if sub is not None:
        sub.kyc_status = "verified" if outcome == "approved" else "failed"
        sub.verified_at = utcnow() if outcome == "approved" else None
        session.add(sub)
    session.add(row)
    _notify(session, outbox, row, "kyc.completed" if outcome == "approved" else "kyc.failed")


def expire(session: Session, outbox: Outbox, row: KycSessionRow) -> None:
    """Expire an active session now; the sub-account's KYC goes back to not started."""
    _ensure_active(session, outbox, row)
    _expire(session, outbox, row)


def _expire(session: Session, outbox: Outbox, row: KycSessionRow) -> None:
    sub = session.get(SubAccountRow, row.sub_auth_id)
    row.status = "expired"
    if sub is not None and sub.kyc_status == "pending":
        sub.kyc_status = "not_started"
        session.add(sub)
    session.add(row)
    _notify(session, outbox, row, "kyc.session_expired")


def refresh(session: Session, outbox: Outbox, row: KycSessionRow) -> bool:
    """Expire ``row`` if it is active and past its time (the caller commits); whether it did."""
    if row.status in ACTIVE_STATUSES and aware(row.expires_at) <= utcnow():
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
    """Expire every active session past its time; return how many."""
    query = select(KycSessionRow).where(
        col(KycSessionRow.status).in_(ACTIVE_STATUSES), col(KycSessionRow.expires_at) <= utcnow()
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


# routes


@router.post("/sub-accounts/{sub_auth_id}/kyc-sessions")
async def start_kyc_session(sub_auth_id: str, body: KycSessionCreate, ctx: Ctx, session: Db) -> JSONResponse:
    """Open a hosted KYC session (revoking the sub-account's active one)."""
    row = start_session(
        session, ctx.outbox, found(session.get(SubAccountRow, sub_auth_id), "sub-account"), body
    )
    session.commit()
    ctx.outbox.wake()
    created = created_view(row, ctx.settings)
    return JSONResponse(created.model_dump(mode="json", exclude_none=True), status_code=201)


@router.get("/sub-accounts/{sub_auth_id}/kyc-sessions/{session_id}")
async def get_kyc_session(sub_auth_id: str, session_id: str, ctx: Ctx, session: Db) -> JSONResponse:
    """One hosted KYC session (ours: the vendor publishes this GET for partner sessions only)."""
    row = session.get(KycSessionRow, session_id)
    if row is None or row.sub_auth_id != sub_auth_id:
        raise not_found("KYC session")
    if refresh(session, ctx.outbox, row):
        session.commit()
        ctx.outbox.wake()
    return respond(session_view(row))


@router.get("/sub-accounts/{sub_auth_id}/kyc/status")
async def get_kyc_status(sub_auth_id: str, ctx: Ctx, session: Db) -> JSONResponse:
    """The sub-account's KYC: overall, per document, and whether calls are still blocked."""
    return respond(kyc_status(found(session.get(SubAccountRow, sub_auth_id), "sub-account"), ctx.settings))
