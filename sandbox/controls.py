"""Test controls under ``/_sandbox`` (a fixed contract other tools rely on; never faulted, no auth).

- a hosted KYC session, as its customer and the provider would move it (each sends the vendor's webhook,
  earlier steps not taken yet are taken first; 409 once the session is completed, revoked or expired):
  ``POST /_sandbox/kyc-sessions/{id}/open`` (``kyc.initiated``), ``…/submit`` (``kyc.submitted``),
  ``…/complete`` ``{"outcome": "approved" | "rejected"}`` (``kyc.completed`` / ``kyc.failed``),
  ``…/expire`` (``kyc.session_expired``); each answers the session as its GET does, plus its ``link``;
- ``GET /_sandbox/kyc-sessions/{id}/email``: the email the email flow would have sent (404 for the
  redirect flow): ``{to, link, sent_at}``;
- ``PUT``/``GET``/``DELETE /_sandbox/faults``: see :class:`sandbox.faults.FaultSettings`;
- ``GET /_sandbox/state``: resource counts, overall and per carrier sub-account, and what belongs to no
  carrier sub-account (numbers the master account holds unassigned, agent-platform sub-accounts);
  agent-platform sub-accounts per master account (``agent_sub_accounts_by_account``);
- ``GET /_sandbox/webhooks``: every webhook delivery attempt, with how long its answer took;
- ``POST /_sandbox/numbers/{e164}/calls`` (:mod:`sandbox.number_controls`): a number had a call.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from pydantic import BaseModel
from sqlmodel import Session, func, select

from sandbox import kyc, webhooks
from sandbox.context import SandboxContext, context, db
from sandbox.db import (
    AgentNumberRow,
    AgentRow,
    AgentSubAccountRow,
    KycSessionRow,
    OwnedNumberRow,
    SubAccountRow,
    aware,
)
from sandbox.errors import not_found
from sandbox.faults import FaultSettings

router = APIRouter(prefix="/_sandbox")
Db = Annotated[Session, Depends(db)]
Ctx = Annotated[SandboxContext, Depends(context)]


class Completion(BaseModel):
    """Body of ``POST /_sandbox/kyc-sessions/{id}/complete``."""

    outcome: Literal["approved", "rejected"]


def _session(session: Session, session_id: str) -> KycSessionRow:
    row = session.get(KycSessionRow, session_id)
    if row is None:
        raise not_found("KYC session")
    return row


def _answer(row: KycSessionRow, ctx: SandboxContext) -> dict[str, Any]:
    return {**kyc.session_view(row).model_dump(mode="json"), "link": kyc.link(row, ctx.settings)}


def _step(
    session_id: str, ctx: SandboxContext, session: Session, step: Callable[[KycSessionRow], None]
) -> dict[str, Any]:
    row = _session(session, session_id)
    step(row)
    session.commit()
    ctx.outbox.wake()
    return _answer(row, ctx)


@router.post("/kyc-sessions/{session_id}/open")
async def open_session(session_id: str, ctx: Ctx, session: Db) -> dict[str, Any]:
    """The customer opens the link."""
    return _step(session_id, ctx, session, lambda row: kyc.open_link(session, ctx.outbox, row))


@router.post("/kyc-sessions/{session_id}/submit")
async def submit_session(session_id: str, ctx: Ctx, session: Db) -> dict[str, Any]:
    """The customer submits the documents."""
    return _step(session_id, ctx, session, lambda row: kyc.submit(session, ctx.outbox, row))


@router.post("/kyc-sessions/{session_id}/complete")
async def complete_session(session_id: str, body: Completion, ctx: Ctx, session: Db) -> dict[str, Any]:
    """The provider decides: approved or rejected."""
    return _step(session_id, ctx, session, lambda row: kyc.complete(session, ctx.outbox, row, body.outcome))


@router.post("/kyc-sessions/{session_id}/expire")
async def expire_session(session_id: str, ctx: Ctx, session: Db) -> dict[str, Any]:
    """Expire an active session now."""
    return _step(session_id, ctx, session, lambda row: kyc.expire(session, ctx.outbox, row))


@router.get("/kyc-sessions/{session_id}/email")
async def session_email(session_id: str, ctx: Ctx, session: Db) -> dict[str, Any]:
    """The email an email-flow session sent its customer (the sandbox sends none)."""
    row = _session(session, session_id)
    if row.flow_type != "email" or row.customer_email is None:
        raise not_found("email for this KYC session")
    sent_at = aware(row.created_at).isoformat()
    return {"to": row.customer_email, "link": kyc.link(row, ctx.settings), "sent_at": sent_at}


@router.get("/faults")
async def get_faults(ctx: Ctx) -> dict[str, object]:
    """The fault settings and how many faults were injected since they were set."""
    return ctx.faults.report()


@router.put("/faults")
async def set_faults(body: FaultSettings, ctx: Ctx) -> dict[str, object]:
    """Set the faults (resets the counts)."""
    ctx.faults.configure(body)
    return ctx.faults.report()


@router.delete("/faults")
async def clear_faults(ctx: Ctx) -> dict[str, object]:
    """No faults any more."""
    ctx.faults.clear()
    return ctx.faults.report()


@router.get("/webhooks")
async def list_webhooks(ctx: Ctx) -> list[dict[str, object]]:
    """Every webhook delivery attempt, oldest first."""
    return webhooks.attempts(ctx.engine)


@router.get("/state")
async def state(session: Db) -> dict[str, Any]:
    """Counts of everything, and per carrier sub-account (agent-platform sub-accounts count under the
    carrier sub-account their name is)."""
    subs = session.exec(select(SubAccountRow)).all()
    owned = session.exec(select(OwnedNumberRow)).all()
    agent_subs = session.exec(select(AgentSubAccountRow)).all()
    agents = session.exec(select(AgentRow)).all()
    agent_numbers = session.exec(select(AgentNumberRow)).all()
    name_of = {row.id: row.name for row in agent_subs}
    numbers = Counter(row.sub_account_id for row in owned)
    numbers.update(name_of.get(row.sub_account_id or "") for row in agent_numbers)
    agents_of = Counter(name_of.get(row.sub_account_id or "") for row in agents)
    attached = Counter(name_of.get(row.sub_account_id or "") for row in agent_numbers if row.agent_id)
    agent_subs_of = Counter(row.name for row in agent_subs)
    carrier_ids = {sub.auth_id for sub in subs}
    return {
        "sub_accounts": len(subs),
        "numbers": len(owned) + len(agent_numbers),
        "agents": len(agents),
        "agent_sub_accounts": len(agent_subs),
        "agent_sub_accounts_by_account": dict(Counter(row.master for row in agent_subs)),
        "kyc_sessions": session.exec(select(func.count()).select_from(KycSessionRow)).one(),
        # what bills without belonging to any customer
        "numbers_of_no_sub_account": sum(1 for row in owned if row.sub_account_id is None),
        "agent_sub_accounts_of_no_sub_account": sum(1 for row in agent_subs if row.name not in carrier_ids),
        "by_sub_account": {
            sub.auth_id: {
                "numbers": numbers[sub.auth_id],
                "agents": agents_of[sub.auth_id],
                "agent_sub_accounts": agent_subs_of[sub.auth_id],
                "kyc_status": sub.kyc_status,
                "enabled": sub.enabled,
                "agent_numbers_attached": attached[sub.auth_id],
            }
            for sub in subs
        },
    }
