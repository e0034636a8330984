"""Answering with the shared wire models."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from pydantic import BaseModel

from providers.carrier_models import PageMeta


def respond(model: BaseModel, status_code: int = 200, *, reveal_secrets: bool = False) -> JSONResponse:
    """``model`` as its wire JSON (aliases; secrets revealed only when asked, i.e. new credentials)."""
    context = {"reveal_secrets": True} if reveal_secrets else None
    return JSONResponse(
        model.model_dump(mode="json", by_alias=True, context=context), status_code=status_code
    )


def page_meta(path: str, *, limit: int, offset: int, total: int, **params: str) -> PageMeta:
    """Offset pagination metadata, ``next`` pointing at the following page of ``path`` if any."""
    following = offset + limit
    query = "&".join(
        f"{key}={value}" for key, value in {**params, "limit": limit, "offset": following}.items()
    )
    return PageMeta(
        limit=limit, offset=offset, total_count=total, next=f"{path}?{query}" if following < total else None
    )
