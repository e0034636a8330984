"""Newest-first pages of a table with ``created_at`` and ``id`` columns, behind opaque cursors."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol, TypeVar

from sqlmodel import Session, col, or_
from sqlmodel.sql.expression import SelectOfScalar

from store.models import as_utc


class InvalidCursor(ValueError):
    """A pagination cursor that this API did not issue."""


class Paged(Protocol):
    """A row that can be paged: its creation time, then its id, order it."""

    created_at: datetime
    id: Any


Row = TypeVar("Row", bound=Paged)


def newest_first(
    session: Session, statement: SelectOfScalar[Row], model: type[Row], *, limit: int, cursor: str | None
) -> tuple[Sequence[Row], str | None]:
    """One page of ``statement``'s rows, newest first, after ``cursor``; and the next page's cursor (None
    on the last page). Raises :class:`InvalidCursor` for a cursor this module did not make."""
    created_at, row_id = col(model.created_at), col(model.id)
    if cursor is not None:
        after, last_id = _decode(cursor)
        statement = statement.where(or_(created_at < after, (created_at == after) & (row_id < last_id)))
    rows = list(session.exec(statement.order_by(created_at.desc(), row_id.desc()).limit(limit + 1)))
    page = rows[:limit]
    return page, (_encode(page[-1]) if len(rows) > limit else None)


def _encode(row: Paged) -> str:
    raw = f"{as_utc(row.created_at).isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode()


def _decode(cursor: str) -> tuple[datetime, str]:
    try:
        created, _, last_id = base64.urlsafe_b64decode(cursor.encode()).decode().partition("|")
        return datetime.fromisoformat(created), last_id
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidCursor("cursor is not one this API issued") from exc
