"""The carrier API (Vobiz-style) under ``/api/v1``: sub-accounts, hosted KYC sessions, numbers."""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from sqlmodel import Session, col, func, select

from providers.carrier_models import (
    AuthCredentials,
    InventoryNumber,
    InventoryPage,
    NumberAssign,
    NumberPurchase,
    OwnedNumber,
    OwnedNumberPage,
    PageMeta,
    SubAccount,
    SubAccountCreate,
    SubAccountCreated,
    SubAccountPage,
    SubAccountUpdate,
)
from sandbox import inventory, kyc
from sandbox.context import SandboxContext, context, db
from sandbox.db import OwnedNumberRow, SubAccountRow, aware
from sandbox.errors import ApiError, conflict, not_found
from sandbox.paths import CARRIER_PREFIX
from sandbox.wire import page_meta, respond

router = APIRouter(prefix=CARRIER_PREFIX)
Db = Annotated[Session, Depends(db)]
Ctx = Annotated[SandboxContext, Depends(context)]
RENTAL_RATE = "1.50"


def _own_account(ctx: SandboxContext, auth_id: str) -> None:
    if auth_id != ctx.settings.carrier_auth_id:
        raise not_found("account")


def _sub_account(session: Session, sub_auth_id: str) -> SubAccountRow:
    sub = session.get(SubAccountRow, sub_auth_id)
    if sub is None:
        raise not_found("sub-account")
    return sub


def _view(sub: SubAccountRow, ctx: SandboxContext) -> SubAccount:
    return SubAccount.model_validate(
        {
            "auth_id": sub.auth_id,
            "name": sub.name,
            "enabled": sub.enabled,
            "kyc_mode": sub.kyc_mode,
            "business_type": sub.business_type,
            "kyc_calls_blocked": kyc.calls_blocked(sub, ctx.settings),
            "created_at": aware(sub.created_at),
        }
    )


def _number_view(row: OwnedNumberRow) -> OwnedNumber:
    return OwnedNumber(
        number=row.number,
        country=row.country,
        sub_account_id=row.sub_account_id,
        purchased_at=aware(row.purchased_at),
    )


# sub-accounts


@router.post("/accounts/{auth_id}/sub-accounts/")
async def create_sub_account(auth_id: str, body: SubAccountCreate, ctx: Ctx, session: Db) -> JSONResponse:
    """Create a sub-account; the answer is the only time its auth token is shown."""
    _own_account(ctx, auth_id)
    token = secrets.token_urlsafe(30)
    sub = SubAccountRow(
        auth_id=f"SA_{secrets.token_hex(8).upper()}",
        name=body.name,
        email=str(body.email) if body.email else None,
        kyc_mode=body.kyc_mode,
        business_type=body.business_type,
        enabled=body.enabled,
        token_hash=hashlib.sha256(token.encode()).hexdigest(),
    )
    session.add(sub)
    session.commit()
    created = SubAccountCreated(
        message="sub-account created",
        sub_account=_view(sub, ctx),
        auth_credentials=AuthCredentials.model_validate({"auth_id": sub.auth_id, "auth_token": token}),
    )
    return respond(created, 201, reveal_secrets=True)


@router.get("/accounts/{auth_id}/sub-accounts/")
async def list_sub_accounts(
    auth_id: str,
    ctx: Ctx,
    session: Db,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    """Sub-accounts, oldest first."""
    _own_account(ctx, auth_id)
    total = session.exec(select(func.count()).select_from(SubAccountRow)).one()
    rows = session.exec(
        select(SubAccountRow)
        .order_by(col(SubAccountRow.created_at), col(SubAccountRow.auth_id))
        .offset(offset)
        .limit(limit)
    ).all()
    path = f"{CARRIER_PREFIX}/accounts/{auth_id}/sub-accounts/"
    meta = page_meta(path, limit=limit, offset=offset, total=total)
    return respond(SubAccountPage(meta=meta, objects=[_view(row, ctx) for row in rows]))


@router.get("/accounts/{auth_id}/sub-accounts/{sub_auth_id}")
async def get_sub_account(auth_id: str, sub_auth_id: str, ctx: Ctx, session: Db) -> JSONResponse:
    """One sub-account."""
    _own_account(ctx, auth_id)
    return respond(_view(_sub_account(session, sub_auth_id), ctx))


@router.put("/accounts/{auth_id}/sub-accounts/{sub_auth_id}")
async def update_sub_account(
    auth_id: str, sub_auth_id: str, body: SubAccountUpdate, ctx: Ctx, session: Db
) -> JSONResponse:
    """Rename, enable/disable or change the KYC mode (call blocking follows the mode)."""
    _own_account(ctx, auth_id)
    sub = _sub_account(session, sub_auth_id)
    for name, value in body.model_dump(exclude_none=True).items():
        setattr(sub, name, value)
    session.add(sub)
    session.commit()
    return respond(_view(sub, ctx))


@router.delete("/accounts/{auth_id}/sub-accounts/{sub_auth_id}", status_code=204)
async def delete_sub_account(auth_id: str, sub_auth_id: str, ctx: Ctx, session: Db) -> Response:
    """Delete a sub-account: its numbers go back to the master account, pending sessions end."""
    _own_account(ctx, auth_id)
    sub = _sub_account(session, sub_auth_id)
    for number in session.exec(select(OwnedNumberRow).where(OwnedNumberRow.sub_account_id == sub_auth_id)):
        number.sub_account_id = None
        session.add(number)
    for pending in kyc.pending_sessions(session, sub_auth_id):
        pending.status = "expired"
        session.add(pending)
    session.delete(sub)
    session.commit()
    return Response(status_code=204)


# numbers


def _held(session: Session, country: str) -> set[str]:
    query = select(OwnedNumberRow.number).where(OwnedNumberRow.country == country)
    return set(session.exec(query).all())


def _owned(session: Session, number: str) -> OwnedNumberRow:
    row = session.get(OwnedNumberRow, number)
    if row is None:
        raise not_found("number")
    return row


@router.get("/Account/{auth_id}/inventory/numbers")
async def list_inventory(
    auth_id: str,
    ctx: Ctx,
    session: Db,
    country: Annotated[str, Query(pattern=r"^[A-Z]{2}$")],
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> JSONResponse:
    """Numbers on offer in ``country`` (the pool minus numbers owned)."""
    _own_account(ctx, auth_id)
    if not inventory.supported(country):
        raise ApiError(422, "invalid_request", f"no numbers are offered in {country}", field="country")
    held = _held(session, country)
    numbers = inventory.available(country, inventory.CARRIER_RANGE, held, limit, offset)
    objects = [InventoryNumber(number=n, country=country, monthly_rental_rate=RENTAL_RATE) for n in numbers]
    path = f"{CARRIER_PREFIX}/Account/{auth_id}/inventory/numbers"
    meta = page_meta(path, limit=limit, offset=offset, total=inventory.POOL_SIZE - len(held), country=country)
    return respond(InventoryPage(meta=meta, objects=objects))


@router.post("/Account/{auth_id}/numbers/purchase-from-inventory")
async def purchase_number(auth_id: str, body: NumberPurchase, ctx: Ctx, session: Db) -> JSONResponse:
    """Buy a number of the inventory into the master account."""
    _own_account(ctx, auth_id)
    country = inventory.country_of(body.number, inventory.CARRIER_RANGE)
    if country is None:
        raise not_found("number in the inventory")
    if session.get(OwnedNumberRow, body.number) is not None:
        raise conflict("number is not available", field="number")
    row = OwnedNumberRow(number=body.number, country=country)
    session.add(row)
    session.commit()
    return respond(_number_view(row), 201)


@router.get("/Account/{auth_id}/numbers/")
async def list_numbers(
    auth_id: str, ctx: Ctx, session: Db, sub_account_id: str | None = None
) -> JSONResponse:
    """Every number the master account owns, or only those assigned to ``sub_account_id`` (ours)."""
    _own_account(ctx, auth_id)
    query = select(OwnedNumberRow).order_by(col(OwnedNumberRow.purchased_at), col(OwnedNumberRow.number))
    if sub_account_id is not None:
        query = query.where(OwnedNumberRow.sub_account_id == sub_account_id)
    rows = session.exec(query).all()
    meta = PageMeta(limit=len(rows), offset=0, total_count=len(rows))
    return respond(OwnedNumberPage(meta=meta, objects=[_number_view(row) for row in rows]))


@router.post("/account/{auth_id}/numbers/{number}/assign-subaccount")
async def assign_number(auth_id: str, number: str, body: NumberAssign, ctx: Ctx, session: Db) -> JSONResponse:
    """Assign an owned number to a sub-account that is enabled and whose calls are not blocked."""
    _own_account(ctx, auth_id)
    row = _owned(session, number)
    sub = _sub_account(session, body.sub_account_id)
    if not sub.enabled:
        raise conflict("the sub-account is disabled", field="sub_account_id")
    if kyc.calls_blocked(sub, ctx.settings):
        raise conflict(
            "the sub-account's calls are blocked until its KYC is verified", field="sub_account_id"
        )
    if row.sub_account_id not in (None, sub.auth_id):
        raise conflict("the number is assigned to another sub-account", field="number")
    row.sub_account_id = sub.auth_id
    session.add(row)
    session.commit()
    return respond(_number_view(row))


@router.delete("/account/{auth_id}/numbers/{number}/assign-subaccount")
async def unassign_number(auth_id: str, number: str, ctx: Ctx, session: Db) -> JSONResponse:
    """Take a number back from its sub-account into the master account."""
    _own_account(ctx, auth_id)
    row = _owned(session, number)
    row.sub_account_id = None
    session.add(row)
    session.commit()
    return respond(_number_view(row))


@router.delete("/Account/{auth_id}/numbers/{number}", status_code=204)
async def release_number(auth_id: str, number: str, ctx: Ctx, session: Db) -> Response:
    """Give a number back to the inventory."""
    _own_account(ctx, auth_id)
    session.delete(_owned(session, number))
    session.commit()
    return Response(status_code=204)
