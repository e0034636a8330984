"""The codec endpoint for the Temporal UI and CLI: ``POST /codec/encode`` and ``POST /codec/decode``.

Bodies are Temporal ``Payloads`` as protobuf JSON (``{"payloads": [{"metadata": {k: b64}, "data": b64}]}``).
Callers need the operator key (``Authorization: Bearer $ONBOARD_API_KEY``): a reseller key is refused,
since payloads of every reseller pass through here, and without a configured key every request is. No
``Origin`` is trusted. In development only, the local Temporal UI (which cannot send a header) uses
``/codec/ui/<token>/…``, whose token ``onboard dev`` derives from the operator key (:func:`ui_codec_token`).
CORS admits the Temporal UI origin alone.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import lru_cache
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from google.protobuf import json_format
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload, Payloads

from api.auth import operator, same_secret, unauthorized
from api.errors import ERROR_RESPONSES, ApiError, error_responses
from api.runtime import Runtime, runtime
from api.schemas import CodecPayloads
from codec.payload import CodecError, EncryptionCodec
from codec.ui import ui_codec_token
from config import Settings

_ALLOWED_METHODS = "POST, OPTIONS"
_ALLOWED_HEADERS = "content-type, authorization, x-namespace"


async def _require_ui_token(token: str, rt: Runtime = Depends(runtime)) -> None:
    key = rt.settings.api_key
    if (
        rt.settings.environment != "development"
        or key is None
        or not same_secret(token, ui_codec_token(key.get_secret_value()))
    ):
        raise unauthorized()


router = APIRouter(prefix="/codec", tags=["codec"], responses=error_responses(401))
#: what the documented codec routes answer besides 401
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": CodecPayloads, "description": "the payloads, encoded or decoded"},
    413: ERROR_RESPONSES[413],
    422: {
        **ERROR_RESPONSES[422],
        "description": "not Payloads JSON (`invalid_request`), or a payload the codec cannot decrypt"
        " (`undecodable_payload`)",
    },
}


@lru_cache
def _codec(key_ring: SecretStr) -> EncryptionCodec:
    return EncryptionCodec(key_ring)


def _cors_headers(request: Request, settings: Settings) -> dict[str, str]:
    if request.headers.get("origin") != settings.ui_origin:
        return {"Vary": "Origin"}
    return {"Access-Control-Allow-Origin": settings.ui_origin, "Vary": "Origin"}


@router.options("/encode", include_in_schema=False)
@router.options("/decode", include_in_schema=False)
@router.options("/ui/{token}/encode", include_in_schema=False)
@router.options("/ui/{token}/decode", include_in_schema=False)
def preflight(request: Request, rt: Runtime = Depends(runtime)) -> Response:
    """CORS preflight: granted to the Temporal UI origin only."""
    if request.headers.get("origin") != rt.settings.ui_origin:
        return Response(status_code=403, headers={"Vary": "Origin"})
    headers = {
        **_cors_headers(request, rt.settings),
        "Access-Control-Allow-Methods": _ALLOWED_METHODS,
        "Access-Control-Allow-Headers": _ALLOWED_HEADERS,
        "Access-Control-Max-Age": "600",
    }
    return Response(status_code=204, headers=headers)


async def _apply(
    body: CodecPayloads,
    request: Request,
    settings: Settings,
    transform: Callable[[Sequence[Payload]], Awaitable[list[Payload]]],
) -> Response:
    payloads = json_format.ParseDict(body.model_dump(), Payloads())  # validated: it always parses
    try:
        result = Payloads(payloads=await transform(payloads.payloads))
    except CodecError as exc:
        raise ApiError(422, "undecodable_payload", str(exc)) from None
    return Response(
        json_format.MessageToJson(result),
        media_type="application/json",
        headers=_cors_headers(request, settings),
    )


@router.post("/encode", dependencies=[Depends(operator)], response_model=None, responses=_RESPONSES)
async def encode(body: CodecPayloads, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    """Encrypt payloads with the current codec key."""
    return await _apply(body, request, rt.settings, _codec(rt.settings.codec_keys).encode)


@router.post("/decode", dependencies=[Depends(operator)], response_model=None, responses=_RESPONSES)
async def decode(body: CodecPayloads, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    """Decrypt payloads encrypted by the codec; others come back unchanged."""
    return await _apply(body, request, rt.settings, _codec(rt.settings.codec_keys).decode)


@router.post("/ui/{token}/encode", dependencies=[Depends(_require_ui_token)], include_in_schema=False)
async def ui_encode(body: CodecPayloads, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    """:func:`encode` for the local Temporal UI in development."""
    return await _apply(body, request, rt.settings, _codec(rt.settings.codec_keys).encode)


@router.post("/ui/{token}/decode", dependencies=[Depends(_require_ui_token)], include_in_schema=False)
async def ui_decode(body: CodecPayloads, request: Request, rt: Runtime = Depends(runtime)) -> Response:
    """:func:`decode` for the local Temporal UI in development."""
    return await _apply(body, request, rt.settings, _codec(rt.settings.codec_keys).decode)
