"""What the list routes share: the ``cursor`` parameter and the 422 for a cursor this API did not issue."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import Query

from api.errors import ERROR_RESPONSES, ApiError, FieldError
from store.pages import InvalidCursor

Cursor = Annotated[str | None, Query(min_length=1, description="next_cursor of the previous page")]

#: a list route's 422: no schema can tell a cursor this API issued from another string of the same shape
LIST_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: {
        **ERROR_RESPONSES[422],
        "description": "invalid parameters, or a `cursor` that is not a `next_cursor` this API issued",
    }
}


@contextmanager
def issued_cursors_only() -> Iterator[None]:
    """Answer a cursor the store did not issue with a 422 naming ``cursor``."""
    try:
        yield
    except InvalidCursor:
        raise ApiError(
            422,
            "invalid_request",
            "the cursor is invalid",
            fields=[FieldError(field="cursor", message="not a cursor this API issued")],
        ) from None
