"""The hosted KYC page a customer opens from ``widget_url`` or the emailed link: Approve or Reject.

``GET /kyc/{token}`` opens the session (``kyc.initiated`` the first time) and shows a
``<form method="post">`` whose buttons are ``name="outcome"`` ``value="approved"``/``"rejected"``;
``POST`` submits the documents and completes the session (200: ``kyc.submitted``, then ``kyc.completed``
or ``kyc.failed``), or answers 409 once the session is completed, revoked or expired. The page never
shows the token itself except in the form's own address.
"""

from __future__ import annotations

import contextlib
from html import escape
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse
from sqlmodel import Session

from providers.kyc_models import ACTIVE_STATUSES
from sandbox import kyc
from sandbox.context import SandboxContext, context, db
from sandbox.db import KycSessionRow
from sandbox.errors import ApiError

router = APIRouter(prefix="/kyc", include_in_schema=False)
Db = Annotated[Session, Depends(db)]
Ctx = Annotated[SandboxContext, Depends(context)]

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Identity verification</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem}}
button{{font-size:1rem;padding:.6rem 1.4rem;margin-right:.8rem;cursor:pointer}}</style></head>
<body><h1>Identity verification</h1>
<p>Sandbox KYC session <code>{session_id}</code> for sub-account <code>{sub_auth_id}</code>.</p>
{content}
</body></html>"""


def _page(row: KycSessionRow, content: str, status_code: int = 200) -> HTMLResponse:
    html = _PAGE.format(
        session_id=escape(row.session_id), sub_auth_id=escape(row.sub_auth_id), content=content
    )
    return HTMLResponse(html, status_code=status_code)


def _missing() -> HTMLResponse:
    return HTMLResponse(
        "<!doctype html><title>Not found</title><p>This link is not valid.</p>", status_code=404
    )


@router.get("/{token}")
async def show(token: str, ctx: Ctx, session: Db) -> HTMLResponse:
    """The page: buttons while the session is active (opening it), its outcome afterwards."""
    try:
        row = kyc.find_by_token(session, token)
    except ApiError:
        return _missing()
    with contextlib.suppress(ApiError):  # a finished session just shows how it ended
        kyc.open_link(session, ctx.outbox, row)
    session.commit()
    ctx.outbox.wake()
    if row.status not in ACTIVE_STATUSES:
        return _page(row, f"<p>This session is <strong>{escape(row.status)}</strong>.</p>")
    form = (
        f"<p>Expires at {escape(row.expires_at.isoformat())} UTC.</p>"
        f'<form method="post" action="/kyc/{escape(token)}">'
        '<button type="submit" name="outcome" value="approved">Approve</button>'
        '<button type="submit" name="outcome" value="rejected">Reject</button></form>'
    )
    return _page(row, form)


@router.post("/{token}")
async def decide(
    token: str, outcome: Annotated[Literal["approved", "rejected"], Form()], ctx: Ctx, session: Db
) -> HTMLResponse:
    """Complete the session with the button pressed."""
    try:
        row = kyc.find_by_token(session, token)
    except ApiError:
        return _missing()
    try:
        kyc.complete(session, ctx.outbox, row, outcome)
    except ApiError as error:
        return _page(row, f"<p>{escape(error.detail.message)}.</p>", status_code=error.status_code)
    session.commit()
    ctx.outbox.wake()
    return _page(row, f"<p>Thank you: verification <strong>{escape(outcome)}</strong>.</p>")
