"""The carrier API (Vobiz) under ``/api/v1``: sub-accounts, hosted KYC sessions, numbers.

Choices where the provider publishes nothing *(ours)*: list envelopes ``{items, page, size|per_page,
total}``; a create answers 201, a delete or release 204, other number changes 200 with the number; an
owned number's ``account_id`` is the auth id holding it; ``?cascade=true`` on a sub-account delete
releases its numbers instead of handing them back to the master account; a number assigned to one
sub-account must be unassigned before it goes to another; a disabled sub-account takes no numbers;
numeric ids count from 100001; fees are fixed, the currency INR for India and USD elsewhere unless the
purchase names one; the inventory needs ``country``. Number routes answer under both ``/Account/`` and
``/account/`` (the notes and the SDK disagree), with the ``+`` of a number sent as ``%2B`` or as is.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlmodel import Session, col, func, select

from providers.carrier_models import (
    AuthCredentials,
    InventoryNumber,
    InventoryPage,
    NumberPurchase,
    OwnedNumber,
    OwnedNumberPage,
    SubAccount,
    SubAccountAssign,
    SubAccountCreate,
    SubAccountCreated,
    SubAccountPage,
    SubAccountUpdate,
    TrunkAssign,
)
from sandbox import inventory, kyc
from sandbox.context import SandboxContext, context, db
from sandbox.db import OwnedNumberRow, SubAccountRow, aware, utcnow
from sandbox.errors import ApiError, conflict, cool_off, found, not_found
from sandbox.paths import CARRIER_PREFIX
from sandbox.wire import respond

router = APIRouter(prefix=CARRIER_PREFIX)
Db = Annotated[Session, Depends(db)]
Ctx = Annotated[SandboxContext, Depends(context)]
F = TypeVar("F", bound=Callable[..., Any])

#: what reads show instead of a sub-account's auth token [skill-S]
MASKED_TOKEN = "<redacted>"  # noqa: S105 - a placeholder, not a secret
FIRST_SUB_ACCOUNT_ID = 100_001
#: a number that had a call in this window cannot leave its sub-account or be released [skill-N]
COOL_OFF = timedelta(days=15)
SETUP_FEE = Decimal("1.00")
MONTHLY_FEE = Decimal("1.50")
CURRENCIES = {"IN": "INR"}
DEFAULT_CURRENCY = "USD"


class Tokens(BaseModel):
    """Console sign-in JWTs of a new sub-account (random stand-ins here)."""

    access_token: str
    refresh_token: str
    token_type: str = "bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int = 1800


class CreatedAnswer(SubAccountCreated):
    """The whole create answer, ``tokens`` included (the client's model leaves them out)."""

    tokens: Tokens


def _own_account(ctx: SandboxContext, auth_id: str) -> None:
    if auth_id != ctx.settings.carrier_auth_id:
        raise not_found("account")


def _view(sub: SubAccountRow, ctx: SandboxContext, token: str = MASKED_TOKEN) -> SubAccount:
    """The wire view; answered with ``reveal_secrets`` so that reads show the mask, not ``*****``."""
    return SubAccount.model_validate(
        {
            "id": sub.id,
            "auth_id": sub.auth_id,
            "auth_token": token,
            "parent_auth_id": ctx.settings.carrier_auth_id,
            "name": sub.name,
            "email": sub.email,
            "enabled": sub.enabled,
            "kyc_mode": sub.kyc_mode,
            "business_type": sub.business_type,
            "kyc_calls_blocked": kyc.calls_blocked(sub, ctx.settings),
            "rate_limit": sub.rate_limit,
            "permissions": None if sub.permissions is None else json.loads(sub.permissions),
            "phone": sub.phone,
            "description": sub.description,
            "created_at": aware(sub.created_at),
        }
    )


def _email_required() -> ApiError:
    return ApiError(400, "invalid_request", "email is required for a customer_use sub-account", field="email")


# sub-accounts


@router.post("/accounts/{auth_id}/sub-accounts/")
async def create_sub_account(auth_id: str, body: SubAccountCreate, ctx: Ctx, session: Db) -> JSONResponse:
    """Create a sub-account; the answer is the only time its auth token is shown."""
    _own_account(ctx, auth_id)
    kyc_mode = body.kyc_mode or "personal_use"
    if kyc_mode == "customer_use" and body.email is None:
        raise _email_required()
    token = secrets.token_urlsafe(30)
    last_id = session.exec(select(func.max(SubAccountRow.id))).one()
    sub = SubAccountRow(
        auth_id=f"SA_{secrets.token_hex(8).upper()}",
        id=FIRST_SUB_ACCOUNT_ID if last_id is None else last_id + 1,
        name=body.name,
        email=str(body.email) if body.email else None,
        kyc_mode=kyc_mode,
        business_type=body.business_type,
        enabled=True if body.enabled is None else body.enabled,
        rate_limit=body.rate_limit or 1000,
        permissions=None if body.permissions is None else json.dumps(body.permissions),
        phone=body.phone,
        description=body.description,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
    )
    session.add(sub)
    session.commit()
    created = CreatedAnswer(
        message="Sub-account created",
        sub_account=_view(sub, ctx, token),
        auth_credentials=AuthCredentials.model_validate({"auth_id": sub.auth_id, "auth_token": token}),
        tokens=Tokens(access_token=secrets.token_urlsafe(32), refresh_token=secrets.token_urlsafe(32)),
    )
    return respond(created, 201, reveal_secrets=True)


@router.get("/accounts/{auth_id}/sub-accounts/")
async def list_sub_accounts(
    auth_id: str,
    ctx: Ctx,
    session: Db,
    page: Annotated[int, Query(ge=1)] = 1,
    size: Annotated[int, Query(ge=1, le=100)] = 20,
) -> JSONResponse:
    """Sub-accounts by creation date, oldest first (tokens masked)."""
    _own_account(ctx, auth_id)
    total = session.exec(select(func.count()).select_from(SubAccountRow)).one()
    rows = session.exec(
        select(SubAccountRow)
        .order_by(col(SubAccountRow.created_at), col(SubAccountRow.id))
        .offset((page - 1) * size)
        .limit(size)
    ).all()
    items = [_view(row, ctx) for row in rows]
    return respond(SubAccountPage(items=items, page=page, size=size, total=total), reveal_secrets=True)


@router.get("/accounts/{auth_id}/sub-accounts/{sub_auth_id}")
async def get_sub_account(auth_id: str, sub_auth_id: str, ctx: Ctx, session: Db) -> JSONResponse:
    """One sub-account (token masked)."""
    _own_account(ctx, auth_id)
    return respond(
        _view(found(session.get(SubAccountRow, sub_auth_id), "sub-account"), ctx), reveal_secrets=True
    )


@router.put("/accounts/{auth_id}/sub-accounts/{sub_auth_id}")
async def update_sub_account(
    auth_id: str, sub_auth_id: str, body: SubAccountUpdate, ctx: Ctx, session: Db
) -> JSONResponse:
    """Rename, enable/disable or change the KYC mode (call blocking follows the mode); promoting to
    ``customer_use`` needs the sub-account's email."""
    _own_account(ctx, auth_id)
    sub = found(session.get(SubAccountRow, sub_auth_id), "sub-account")
    if body.kyc_mode == "customer_use" and sub.email is None:
        raise _email_required()
    for name, value in body.model_dump(exclude_none=True).items():
        setattr(sub, name, value)
    session.add(sub)
    session.commit()
    return respond(_view(sub, ctx), reveal_secrets=True)


@router.delete("/accounts/{auth_id}/sub-accounts/{sub_auth_id}", status_code=204)
async def delete_sub_account(
    auth_id: str, sub_auth_id: str, ctx: Ctx, session: Db, cascade: bool = False
) -> Response:
    """Delete a sub-account: its numbers go back to the master account (released with ``cascade``),
    pending KYC sessions end."""
    _own_account(ctx, auth_id)
    sub = found(session.get(SubAccountRow, sub_auth_id), "sub-account")
    for number in session.exec(select(OwnedNumberRow).where(OwnedNumberRow.sub_account_id == sub_auth_id)):
        if cascade:
            session.delete(number)
        else:
            number.sub_account_id = None
            session.add(number)
    for pending in kyc.pending_sessions(session, sub_auth_id):
        pending.status = "expired"
        session.add(pending)
    session.delete(sub)
    session.commit()
    return Response(status_code=204)


# numbers


def number_routes(method: str, path: str, **options: Any) -> Callable[[F], F]:
    """Register a number route under ``/Account/`` and ``/account/`` alike."""

    def register(route: F) -> F:
        for casing in ("Account", "account"):
            router.api_route(f"/{casing}/{path}", methods=[method], **options)(route)
        return route

    return register


def _currency(country: str) -> str:
    return CURRENCIES.get(country, DEFAULT_CURRENCY)


def _number_view(row: OwnedNumberRow, ctx: SandboxContext) -> OwnedNumber:
    return OwnedNumber(
        id=row.id,
        account_id=row.sub_account_id or ctx.settings.carrier_auth_id,
        e164=row.number,
        country=row.country,
        status="active",
        setup_fee=SETUP_FEE,
        monthly_fee=MONTHLY_FEE,
        currency=row.currency,
        trunk_group_id=row.trunk_group_id,
        purchased_at=aware(row.purchased_at),
    )


def _held(session: Session, country: str) -> set[str]:
    query = select(OwnedNumberRow.number).where(OwnedNumberRow.country == country)
    return set(session.exec(query).all())


def _owned(session: Session, e164: str) -> OwnedNumberRow:
    row = session.get(OwnedNumberRow, e164)
    if row is None:
        raise not_found("number")
    return row


def _check_cool_off(row: OwnedNumberRow, now: datetime) -> None:
    """409 ``did_cool_off_in_effect`` while the number's last call is less than 15 days old."""
    if row.last_call_at is None:
        return
    until = aware(row.last_call_at) + COOL_OFF
    if now < until:
        raise cool_off(until, now)


@number_routes("GET", "{auth_id}/inventory/numbers")
async def list_inventory(
    auth_id: str,
    ctx: Ctx,
    session: Db,
    country: Annotated[str, Query(pattern=r"^[A-Z]{2}$")],
    search: Annotated[str | None, Query(max_length=16)] = None,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
) -> JSONResponse:
    """Numbers on offer in ``country`` (the pool minus numbers owned), ``search`` a substring of the E.164;
    ``country`` is required here (ours)."""
    _own_account(ctx, auth_id)
    if not inventory.supported(country):
        raise ApiError(422, "invalid_request", f"no numbers are offered in {country}", field="country")
    held = _held(session, country)
    matching = [n for n in inventory.pool(country, inventory.CARRIER_RANGE) if n not in held]
    if search:
        matching = [n for n in matching if search in n]
    chosen = matching[(page - 1) * per_page : page * per_page]
    currency = _currency(country)
    items = [
        InventoryNumber(
            e164=n, country=country, setup_fee=SETUP_FEE, monthly_fee=MONTHLY_FEE, currency=currency
        )
        for n in chosen
    ]
    return respond(InventoryPage(items=items, page=page, per_page=per_page, total=len(matching)))


@number_routes("POST", "{auth_id}/numbers/purchase-from-inventory")
async def purchase_number(auth_id: str, body: NumberPurchase, ctx: Ctx, session: Db) -> JSONResponse:
    """Buy a number of the inventory into the master account; 404 when it is not on offer."""
    _own_account(ctx, auth_id)
    country = inventory.country_of(body.e164, inventory.CARRIER_RANGE)
    if country is None or session.get(OwnedNumberRow, body.e164) is not None:
        raise not_found("number in the inventory")
    row = OwnedNumberRow(
        number=body.e164,
        id=secrets.token_hex(8),
        country=country,
        currency=body.currency or _currency(country),
    )
    session.add(row)
    session.commit()
    return respond(_number_view(row, ctx), 201)


@number_routes("GET", "{auth_id}/numbers")
async def list_numbers(
    auth_id: str,
    ctx: Ctx,
    session: Db,
    page: Annotated[int, Query(ge=1)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 20,
    include_subaccounts: bool = True,
) -> JSONResponse:
    """Numbers the master account holds and, unless ``include_subaccounts=false``, its sub-accounts'."""
    _own_account(ctx, auth_id)
    query = select(OwnedNumberRow)
    if not include_subaccounts:
        query = query.where(col(OwnedNumberRow.sub_account_id).is_(None))
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = session.exec(
        query.order_by(col(OwnedNumberRow.purchased_at), col(OwnedNumberRow.number))
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    items = [_number_view(row, ctx) for row in rows]
    return respond(OwnedNumberPage(items=items, page=page, per_page=per_page, total=total))


@number_routes("POST", "{auth_id}/numbers/{e164}/assign")
async def route_to_trunk(auth_id: str, e164: str, body: TrunkAssign, ctx: Ctx, session: Db) -> JSONResponse:
    """Route the number's inbound calls to a trunk group."""
    _own_account(ctx, auth_id)
    row = _owned(session, e164)
    row.trunk_group_id = body.trunk_group_id
    session.add(row)
    session.commit()
    return respond(_number_view(row, ctx))


@number_routes("DELETE", "{auth_id}/numbers/{e164}/assign")
async def unroute_from_trunk(auth_id: str, e164: str, ctx: Ctx, session: Db) -> JSONResponse:
    """Stop routing the number to its trunk group."""
    _own_account(ctx, auth_id)
    row = _owned(session, e164)
    row.trunk_group_id = None
    session.add(row)
    session.commit()
    return respond(_number_view(row, ctx))


@number_routes("POST", "{auth_id}/numbers/{e164}/assign-subaccount")
async def assign_to_sub_account(
    auth_id: str, e164: str, body: SubAccountAssign, ctx: Ctx, session: Db
) -> JSONResponse:
    """Hand an owned number to an enabled sub-account."""
    _own_account(ctx, auth_id)
    row = _owned(session, e164)
    sub = found(session.get(SubAccountRow, body.sub_account_id), "sub-account")
    if not sub.enabled:
        raise conflict("the sub-account is disabled", field="sub_account_id")
    if row.sub_account_id not in (None, sub.auth_id):
        raise conflict("the number is assigned to another sub-account", field="sub_account_id")
    row.sub_account_id = sub.auth_id
    session.add(row)
    session.commit()
    return respond(_number_view(row, ctx))


@number_routes("DELETE", "{auth_id}/numbers/{e164}/assign-subaccount")
async def unassign_from_sub_account(
    auth_id: str, e164: str, ctx: Ctx, session: Db, force: bool = False
) -> JSONResponse:
    """Take a number back into the master account, unless it is in its cool-off; ``force`` needs an admin
    account, which the master account is not."""
    _own_account(ctx, auth_id)
    if force:
        raise ApiError(403, "forbidden", "force needs an admin account")
    row = _owned(session, e164)
    if row.sub_account_id is not None:
        _check_cool_off(row, utcnow())
        row.sub_account_id = None
        session.add(row)
        session.commit()
    return respond(_number_view(row, ctx))


@number_routes("DELETE", "{auth_id}/numbers/{e164}", status_code=204)
async def release_number(auth_id: str, e164: str, ctx: Ctx, session: Db) -> Response:
    """Give a number back to the pool: 403 if not owned, 409 in its cool-off."""
    _own_account(ctx, auth_id)
    row = session.get(OwnedNumberRow, e164)
    if row is None:
        raise ApiError(403, "forbidden", "the account does not own this number")
    _check_cool_off(row, utcnow())
    session.delete(row)
    session.commit()
    return Response(status_code=204)
