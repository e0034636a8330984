"""The agent platform (AgentPhone-style) under ``/v1``: sub-accounts, agents, numbers.

Agents and numbers belong to the sub-account named by ``X-Sub-Account-Id`` (none: the master account);
an unknown sub-account is 404. Sub-accounts are one level deep and limited in number
(``sandbox_agent_sub_account_limit``, 409 ``limit_reached`` beyond).
"""

from __future__ import annotations

import json
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response
from fastapi.responses import JSONResponse
from sqlalchemy import ColumnElement, delete, update
from sqlmodel import Session, col, func, select

from providers.agent_models import (
    Agent,
    AgentCreate,
    AgentNumber,
    AgentSubAccount,
    AgentSubAccountCreate,
    DataList,
    NumberCreate,
)
from sandbox import inventory
from sandbox.context import SandboxContext, context, db
from sandbox.db import AgentNumberRow, AgentRow, AgentSubAccountRow, OwnedNumberRow, aware
from sandbox.errors import ApiError, conflict, not_found
from sandbox.paths import AGENTS_PREFIX
from sandbox.wire import respond

router = APIRouter(prefix=AGENTS_PREFIX)
Db = Annotated[Session, Depends(db)]
Ctx = Annotated[SandboxContext, Depends(context)]


async def target(session: Db, x_sub_account_id: Annotated[str | None, Header()] = None) -> str | None:
    """The sub-account the request targets (``None``: the master account); 404 if unknown."""
    if x_sub_account_id is not None and session.get(AgentSubAccountRow, x_sub_account_id) is None:
        raise not_found("sub-account")
    return x_sub_account_id


Target = Annotated[str | None, Depends(target)]


def _in_scope(column: str | None, scope: str | None) -> ColumnElement[bool]:
    """``column`` (a ``sub_account_id``) equals ``scope``, ``None`` included."""
    return col(column).is_(None) if scope is None else col(column) == scope


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


def _sub_account_view(row: AgentSubAccountRow) -> AgentSubAccount:
    return AgentSubAccount(id=row.id, name=row.name, created_at=aware(row.created_at))


def _agent_view(row: AgentRow) -> Agent:
    return Agent.model_validate(
        {
            "id": row.id,
            "name": row.name,
            "voice_mode": row.voice_mode,
            "system_prompt": row.system_prompt,
            "voice": row.voice,
            "phone_numbers": json.loads(row.phone_numbers),
            "created_at": aware(row.created_at),
        }
    )


def _number_view(row: AgentNumberRow) -> AgentNumber:
    return AgentNumber(
        id=row.id,
        phone_number=row.phone_number,
        country=row.country,
        agent_id=row.agent_id,
        created_at=aware(row.created_at),
    )


# sub-accounts


@router.post("/sub-accounts")
async def create_sub_account(
    body: AgentSubAccountCreate, ctx: Ctx, session: Db, scope: Target
) -> JSONResponse:
    """Create a sub-account of the master account (one level only, limited in number)."""
    if scope is not None:
        raise conflict("sub-accounts cannot create sub-accounts")
    count = session.exec(select(func.count()).select_from(AgentSubAccountRow)).one()
    limit = ctx.settings.sandbox_agent_sub_account_limit
    if count >= limit:
        raise ApiError(409, "limit_reached", f"at most {limit} sub-accounts per account")
    row = AgentSubAccountRow(id=_new_id("sub"), name=body.name)
    session.add(row)
    session.commit()
    return respond(_sub_account_view(row), 201)


@router.get("/sub-accounts")
async def list_sub_accounts(session: Db) -> JSONResponse:
    """Every sub-account, oldest first."""
    rows = session.exec(select(AgentSubAccountRow).order_by(col(AgentSubAccountRow.created_at))).all()
    return respond(DataList[AgentSubAccount](data=[_sub_account_view(row) for row in rows]))


@router.delete("/sub-accounts/{sub_account_id}", status_code=204)
async def delete_sub_account(sub_account_id: str, session: Db) -> Response:
    """Delete a sub-account with its agents and numbers."""
    row = session.get(AgentSubAccountRow, sub_account_id)
    if row is None:
        raise not_found("sub-account")
    session.execute(delete(AgentRow).where(col(AgentRow.sub_account_id) == sub_account_id))
    session.execute(delete(AgentNumberRow).where(col(AgentNumberRow.sub_account_id) == sub_account_id))
    session.delete(row)
    session.commit()
    return Response(status_code=204)


# agents


def _agent(session: Session, scope: str | None, agent_id: str) -> AgentRow:
    row = session.get(AgentRow, agent_id)
    if row is None or row.sub_account_id != scope:
        raise not_found("agent")
    return row


@router.post("/agents")
async def create_agent(body: AgentCreate, session: Db, scope: Target) -> JSONResponse:
    """Create an agent; ``phoneNumbers`` (carrier numbers the master account owns) are routed to it."""
    for number in body.phone_numbers:
        if session.get(OwnedNumberRow, number) is None:
            raise ApiError(422, "invalid_request", f"{number} is not an owned number", field="phoneNumbers")
    row = AgentRow(
        id=_new_id("agt"),
        sub_account_id=scope,
        name=body.name,
        voice_mode=body.voice_mode,
        system_prompt=body.system_prompt,
        voice=body.voice,
        phone_numbers=json.dumps(body.phone_numbers),
    )
    session.add(row)
    session.commit()
    return respond(_agent_view(row), 201)


@router.get("/agents")
async def list_agents(session: Db, scope: Target) -> JSONResponse:
    """The targeted sub-account's agents."""
    query = (
        select(AgentRow).where(_in_scope(AgentRow.sub_account_id, scope)).order_by(col(AgentRow.created_at))
    )
    return respond(DataList[Agent](data=[_agent_view(row) for row in session.exec(query)]))


@router.delete("/agents/{agent_id}", status_code=204)
async def delete_agent(agent_id: str, session: Db, scope: Target) -> Response:
    """Delete an agent; its numbers stay in the sub-account, detached."""
    row = _agent(session, scope, agent_id)
    session.execute(
        update(AgentNumberRow).where(col(AgentNumberRow.agent_id) == agent_id).values(agent_id=None)
    )
    session.delete(row)
    session.commit()
    return Response(status_code=204)


# numbers


@router.post("/numbers")
async def buy_number(body: NumberCreate, session: Db, scope: Target) -> JSONResponse:
    """Buy a number into the targeted sub-account, attached to ``agentId`` if given."""
    if body.agent_id is not None:
        _agent(session, scope, body.agent_id)
    if not inventory.supported(body.country):
        raise ApiError(422, "invalid_request", f"no numbers are offered in {body.country}", field="country")
    query = select(AgentNumberRow.phone_number).where(AgentNumberRow.country == body.country)
    held = set(session.exec(query).all())
    found = inventory.available(body.country, inventory.AGENTS_RANGE, held, limit=1)
    if not found:
        raise conflict(f"no numbers left in {body.country}", field="country")
    row = AgentNumberRow(
        id=_new_id("num"),
        sub_account_id=scope,
        phone_number=found[0],
        country=body.country,
        agent_id=body.agent_id,
    )
    session.add(row)
    session.commit()
    return respond(_number_view(row), 201)


@router.get("/numbers")
async def list_numbers(session: Db, scope: Target) -> JSONResponse:
    """The targeted sub-account's numbers."""
    query = (
        select(AgentNumberRow)
        .where(_in_scope(AgentNumberRow.sub_account_id, scope))
        .order_by(col(AgentNumberRow.created_at))
    )
    return respond(DataList[AgentNumber](data=[_number_view(row) for row in session.exec(query)]))


@router.delete("/numbers/{number_id}", status_code=204)
async def release_number(number_id: str, session: Db, scope: Target) -> Response:
    """Release a number of the targeted sub-account."""
    row = session.get(AgentNumberRow, number_id)
    if row is None or row.sub_account_id != scope:
        raise not_found("number")
    session.delete(row)
    session.commit()
    return Response(status_code=204)
