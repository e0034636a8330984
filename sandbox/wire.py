"""Answering with the shared wire models."""

from __future__ import annotations

from fastapi.responses import JSONResponse
from pydantic import BaseModel


def respond(model: BaseModel, status_code: int = 200, *, reveal_secrets: bool = False) -> JSONResponse:
    """``model`` as its wire JSON (aliases; secrets revealed only when asked, i.e. new credentials)."""
    context = {"reveal_secrets": True} if reveal_secrets else None
    return JSONResponse(
        model.model_dump(mode="json", by_alias=True, context=context), status_code=status_code
    )
