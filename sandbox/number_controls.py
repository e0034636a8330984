"""Test control for the carrier's number cool-off (never faulted, no auth):

``POST /_sandbox/numbers/{e164}/calls`` records that the owned number had a call (now, or at the body's
``at``), so unassigning it from its sub-account or releasing it within 15 days of that call meets the
cool-off (``409 did_cool_off_in_effect``). A call dated more than 15 days back lets a test end a cool-off
without waiting for it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import AwareDatetime, BaseModel
from sqlmodel import Session

from sandbox.carrier import COOL_OFF
from sandbox.context import db
from sandbox.db import OwnedNumberRow, utcnow
from sandbox.errors import not_found

router = APIRouter(prefix="/_sandbox")
Db = Annotated[Session, Depends(db)]


class CallAt(BaseModel):
    """Body of the control: when the call was (default: now)."""

    at: AwareDatetime | None = None


class CallRecorded(BaseModel):
    """Answer of the control: the call's time and the end of the cool-off it starts."""

    e164: str
    last_call_at: datetime
    cool_off_until: datetime


@router.post("/numbers/{e164}/calls")
async def record_call(e164: str, session: Db, body: CallAt | None = None) -> CallRecorded:
    """Mark an owned number as having had a call (404 if nobody owns it)."""
    row = session.get(OwnedNumberRow, e164)
    if row is None:
        raise not_found("number")
    at = body.at if body is not None and body.at is not None else utcnow()
    row.last_call_at = at
    session.add(row)
    session.commit()
    return CallRecorded(e164=e164, last_call_at=at, cool_off_until=at + COOL_OFF)
