"""The agent platform (AgentPhone) under ``/v1``: sub-accounts, agents, numbers and their attachments.

Agents and numbers belong to the sub-account named by ``X-Sub-Account-Id`` (none: the master account).
Every key of ``Settings.agent_accounts()`` is a master account of its own: it sees, targets and counts
only its own sub-accounts, agents and numbers (another's are 404), each against its own limit.
Errors answer ``{"detail": "..."}`` as the platform does. The sandbox's own choices *(ours)*, none of
them published: an unknown ``X-Sub-Account-Id`` is 404; the sub-account limit
(``sandbox_agent_sub_account_limit``, 25 by default, per master account; ``sandbox_agent_sub_account_limits``
sets one per account name) answers 409; a sub-account creating a sub-account
403; validation errors 422 naming the wire field; lists take ``limit`` 1..100 (default 20); deletes and
detaching answer 204, attaching 200 with the agent; a number serves one agent at a time (attaching one
attached elsewhere is 409); new numbers are ``active``; ``areaCode`` is accepted but the sandbox has one
range per country, and ``expiresAt`` is kept but never acted on; ``createdAt`` of a sub-account.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from sqlalchemy import ColumnElement, and_, delete, update
from sqlmodel import Session, col, func, select

from providers.agent_models import (
    Agent,
    AgentCreate,
    AgentNumber,
    AgentSubAccount,
    AgentSubAccountCreate,
    AttachedNumber,
    DataList,
    NumberAttach,
    NumberCreate,
    Page,
)
from sandbox import inventory
from sandbox.auth import agent_master
from sandbox.context import SandboxContext, context, db
from sandbox.db import AgentNumberRow, AgentRow, AgentSubAccountRow, aware
from sandbox.paths import AGENTS_PREFIX
from sandbox.wire import respond

NUMBER_STATUS = "active"
MAX_PAGE = 100


class Refused(Exception):
    """An error answer of the agent platform: ``{"detail": message}`` with ``status_code``."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


def detail_response(status_code: int, message: str) -> JSONResponse:
    """The platform's error body."""
    return JSONResponse({"detail": message}, status_code=status_code)


def _validation_message(error: RequestValidationError) -> str:
    first = error.errors()[0]
    names = [str(part) for part in first.get("loc", ())[1:] if not isinstance(part, int)]
    message = str(first.get("msg", "invalid request"))
    return f"{'.'.join(names)}: {message}" if names else message


class DetailRoute(APIRoute):
    """A route whose refusals and validation errors answer in the platform's ``{"detail"}`` form."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handle = super().get_route_handler()

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except Refused as error:
                return detail_response(error.status_code, error.message)
            except RequestValidationError as error:
                return detail_response(422, _validation_message(error))

        return answer


router = APIRouter(prefix=AGENTS_PREFIX, route_class=DetailRoute)
Db = Annotated[Session, Depends(db)]
Ctx = Annotated[SandboxContext, Depends(context)]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE)]
Offset = Annotated[int, Query(ge=0)]


def not_found(what: str) -> Refused:
    """404 for a missing ``what``."""
    return Refused(404, f"{what} not found")


@dataclass(frozen=True)
class Scope:
    """Whom a request acts on: the master account whose key it bears, and the sub-account of that master
    account its ``X-Sub-Account-Id`` names (None: the master account itself)."""

    master: str
    sub: str | None

    def where(self, table: type[AgentRow | AgentNumberRow]) -> ColumnElement[bool]:
        """Rows of ``table`` in this scope."""
        sub = col(table.sub_account_id)
        return and_(col(table.master) == self.master, sub.is_(None) if self.sub is None else sub == self.sub)

    def holds(self, row: AgentRow | AgentNumberRow) -> bool:
        """Whether ``row`` is in this scope."""
        return row.master == self.master and row.sub_account_id == self.sub


def master(request: Request) -> str:
    """The master account the request's key belongs to (the auth middleware let only known keys in)."""
    found = agent_master(context(request).settings, request.headers)
    if found is None:  # pragma: no cover - the middleware answered 401 already
        raise Refused(401, "authentication failed")
    return found


Master = Annotated[str, Depends(master)]


async def target(
    session: Db, master: Master, x_sub_account_id: Annotated[str | None, Header()] = None
) -> Scope:
    """The sub-account the request targets (``None``: the master account); 404 if unknown, or another
    master account's."""
    if x_sub_account_id is not None:
        row = session.get(AgentSubAccountRow, x_sub_account_id)
        if row is None or row.master != master:
            raise not_found("sub-account")
    return Scope(master=master, sub=x_sub_account_id)


Target = Annotated[Scope, Depends(target)]


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(10)}"


def _count(session: Session, *where: ColumnElement[bool], table: type[AgentRow | AgentNumberRow]) -> int:
    return session.exec(select(func.count()).select_from(table).where(*where)).one()


def _sub_account_view(row: AgentSubAccountRow) -> AgentSubAccount:
    return AgentSubAccount(id=row.id, name=row.name, created_at=aware(row.created_at))


def _number_view(row: AgentNumberRow) -> AgentNumber:
    return AgentNumber(
        id=row.id,
        phone_number=row.phone_number,
        country=row.country,
        status=NUMBER_STATUS,
        agent_id=row.agent_id,
        created_at=aware(row.created_at),
        type=row.type,
        external_id=row.external_id,
        expires_at=None if row.expires_at is None else aware(row.expires_at),
    )


def _agent_view(row: AgentRow, numbers: Iterable[AgentNumberRow]) -> Agent:
    return Agent(
        id=row.id,
        name=row.name,
        description=row.description,
        created_at=aware(row.created_at),
        voice_mode=row.voice_mode,
        model_tier=row.model_tier,
        system_prompt=row.system_prompt,
        begin_message=row.begin_message,
        voice=row.voice,
        numbers=[
            AttachedNumber(id=n.id, phone_number=n.phone_number, status=NUMBER_STATUS, type=n.type)
            for n in numbers
            if n.agent_id == row.id
        ],
    )


def _attached(session: Session, agent_ids: Sequence[str]) -> Sequence[AgentNumberRow]:
    """The numbers attached to any of ``agent_ids``, oldest first."""
    query = select(AgentNumberRow).where(col(AgentNumberRow.agent_id).in_(agent_ids))
    return session.exec(query.order_by(col(AgentNumberRow.created_at))).all()


# sub-accounts


@router.post("/sub-accounts")
async def create_sub_account(
    body: AgentSubAccountCreate, ctx: Ctx, session: Db, scope: Target
) -> JSONResponse:
    """Create a sub-account of the master account (one level only, limited in number)."""
    if scope.sub is not None:
        raise Refused(403, "sub-accounts cannot create sub-accounts")
    mine = col(AgentSubAccountRow.master) == scope.master
    count = session.exec(select(func.count()).select_from(AgentSubAccountRow).where(mine)).one()
    settings = ctx.settings
    limit = settings.sandbox_agent_sub_account_limits.get(
        scope.master, settings.sandbox_agent_sub_account_limit
    )
    if count >= limit:
        raise Refused(409, f"sub-account limit reached: at most {limit} per account")
    row = AgentSubAccountRow(id=_new_id("sub"), name=body.name, master=scope.master)
    session.add(row)
    session.commit()
    return respond(_sub_account_view(row), 201)


@router.get("/sub-accounts")
async def list_sub_accounts(
    session: Db, master: Master, limit: Limit = 20, offset: Offset = 0
) -> JSONResponse:
    """One page of the master account's sub-accounts, oldest first: ``{data}`` only, as published."""
    query = (
        select(AgentSubAccountRow)
        .where(col(AgentSubAccountRow.master) == master)
        .order_by(col(AgentSubAccountRow.created_at), col(AgentSubAccountRow.id))
    )
    rows = session.exec(query.offset(offset).limit(limit)).all()
    return respond(DataList[AgentSubAccount](data=[_sub_account_view(row) for row in rows]))


def _sub_account(session: Session, master: str, sub_account_id: str) -> AgentSubAccountRow:
    row = session.get(AgentSubAccountRow, sub_account_id)
    if row is None or row.master != master:
        raise not_found("sub-account")
    return row


@router.patch("/sub-accounts/{sub_account_id}")
async def rename_sub_account(
    sub_account_id: str, body: AgentSubAccountCreate, session: Db, master: Master
) -> JSONResponse:
    """Rename a sub-account."""
    row = _sub_account(session, master, sub_account_id)
    row.name = body.name
    session.add(row)
    session.commit()
    return respond(_sub_account_view(row))


@router.delete("/sub-accounts/{sub_account_id}", status_code=204)
async def delete_sub_account(sub_account_id: str, session: Db, master: Master) -> Response:
    """Delete a sub-account with its agents and numbers."""
    row = _sub_account(session, master, sub_account_id)
    session.execute(delete(AgentRow).where(col(AgentRow.sub_account_id) == sub_account_id))
    session.execute(delete(AgentNumberRow).where(col(AgentNumberRow.sub_account_id) == sub_account_id))
    session.delete(row)
    session.commit()
    return Response(status_code=204)


# agents


def _agent(session: Session, scope: Scope, agent_id: str) -> AgentRow:
    row = session.get(AgentRow, agent_id)
    if row is None or not scope.holds(row):
        raise not_found("agent")
    return row


def _number(session: Session, scope: Scope, number_id: str) -> AgentNumberRow:
    row = session.get(AgentNumberRow, number_id)
    if row is None or not scope.holds(row):
        raise not_found("number")
    return row


@router.post("/agents")
async def create_agent(body: AgentCreate, session: Db, scope: Target) -> JSONResponse:
    """Create an agent in the targeted sub-account (no numbers yet)."""
    row = AgentRow(id=_new_id("agt"), sub_account_id=scope.sub, master=scope.master, **body.model_dump())
    session.add(row)
    session.commit()
    return respond(_agent_view(row, ()), 201)


@router.get("/agents")
async def list_agents(session: Db, scope: Target, limit: Limit = 20, offset: Offset = 0) -> JSONResponse:
    """One page of the targeted sub-account's agents, oldest first."""
    in_scope = scope.where(AgentRow)
    query = select(AgentRow).where(in_scope).order_by(col(AgentRow.created_at), col(AgentRow.id))
    rows = session.exec(query.offset(offset).limit(limit)).all()
    numbers = _attached(session, [row.id for row in rows])
    total = _count(session, in_scope, table=AgentRow)
    page = Page[Agent](
        data=[_agent_view(row, numbers) for row in rows], has_more=offset + len(rows) < total, total=total
    )
    return respond(page)


@router.get("/agents/{agent_id}")
async def get_agent(agent_id: str, session: Db, scope: Target) -> JSONResponse:
    """One agent with its attached numbers."""
    row = _agent(session, scope, agent_id)
    return respond(_agent_view(row, _attached(session, [row.id])))


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


@router.post("/agents/{agent_id}/numbers")
async def attach_number(agent_id: str, body: NumberAttach, session: Db, scope: Target) -> JSONResponse:
    """Attach one of the sub-account's numbers to the agent (again: no change)."""
    agent = _agent(session, scope, agent_id)
    number = _number(session, scope, body.number_id)
    if number.agent_id not in (None, agent_id):
        raise Refused(409, "the number is attached to another agent")
    number.agent_id = agent_id
    session.add(number)
    session.commit()
    return respond(_agent_view(agent, _attached(session, [agent_id])))


@router.delete("/agents/{agent_id}/numbers/{number_id}", status_code=204)
async def detach_number(agent_id: str, number_id: str, session: Db, scope: Target) -> Response:
    """Detach a number from the agent; it stays in the sub-account."""
    _agent(session, scope, agent_id)
    number = _number(session, scope, number_id)
    if number.agent_id != agent_id:
        raise not_found("number attached to this agent")
    number.agent_id = None
    session.add(number)
    session.commit()
    return Response(status_code=204)


# numbers


@router.post("/numbers")
async def buy_number(body: NumberCreate, session: Db, scope: Target) -> JSONResponse:
    """Buy a number into the targeted sub-account, attached to ``agentId`` if given."""
    if body.agent_id is not None:
        _agent(session, scope, body.agent_id)
    if not inventory.supported(body.country):
        raise Refused(422, f"country: no numbers are offered in {body.country}")
    query = select(AgentNumberRow.phone_number).where(AgentNumberRow.country == body.country)
    held = set(session.exec(query).all())
    found = inventory.available(body.country, inventory.AGENTS_RANGE, held, limit=1)
    if not found:
        raise Refused(409, f"no numbers left in {body.country}")
    row = AgentNumberRow(
        id=_new_id("num"),
        sub_account_id=scope.sub,
        master=scope.master,
        phone_number=found[0],
        **body.model_dump(include={"country", "agent_id", "type", "external_id", "expires_at"}),
    )
    session.add(row)
    session.commit()
    return respond(_number_view(row), 201)


@router.get("/numbers")
async def list_numbers(session: Db, scope: Target, limit: Limit = 20, offset: Offset = 0) -> JSONResponse:
    """One page of the targeted sub-account's numbers, oldest first."""
    in_scope = scope.where(AgentNumberRow)
    query = (
        select(AgentNumberRow)
        .where(in_scope)
        .order_by(col(AgentNumberRow.created_at), col(AgentNumberRow.id))
    )
    rows = session.exec(query.offset(offset).limit(limit)).all()
    total = _count(session, in_scope, table=AgentNumberRow)
    page = Page[AgentNumber](
        data=[_number_view(row) for row in rows], has_more=offset + len(rows) < total, total=total
    )
    return respond(page)


@router.delete("/numbers/{number_id}", status_code=204)
async def release_number(number_id: str, session: Db, scope: Target) -> Response:
    """Release a number of the targeted sub-account, irreversibly."""
    session.delete(_number(session, scope, number_id))
    session.commit()
    return Response(status_code=204)
