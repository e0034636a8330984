"""``POST /webhooks/kyc``: the carrier's KYC webhooks, verified, recorded once and answered at once.

The vendor signs the raw body (``X-Vobiz-Signature: sha256=<hex>``, HMAC-SHA256 keyed with the master
account's auth token; the previous token also verifies during a rotation) with no timestamp or event id,
so a captured delivery can be replayed: each (session, event) is recorded in the inbox once, and a verdict
is only signalled as the provider confirms it on a GET of the session. Only ``event`` and ``session_id``
of the body (whose other fields are ours) are relied upon.

The answer waits for nothing but our database: the delivery is verified, its session looked up and the
event recorded, and the provider gets its 2xx; the KYC relay (``api/kyc_relay.py``) then confirms and
signals it, retrying while the provider has not decided or Temporal is unreachable. So:

- ``kyc.initiated`` / ``kyc.submitted`` / ``kyc.completed`` / ``kyc.failed`` / ``kyc.session_expired``:
  recorded and handed to the relay (202 ``accepted``); the relay signals ``kyc_progress`` (and writes the
  progress into the stored status document, which reads are served from) or, once the provider confirms
  the verdict, ``kyc_result``; a verdict the provider contradicts is logged and dropped;
- an event already recorded: 200 ``duplicate`` (the relay has it, whether it is done with it or not);
- ``kyc.session_revoked``, events we do not know, and any event of a session the onboarding has since
  replaced: nothing (200 ``ignored``). The onboarding goes on with its newer session; the provider's
  verdict on an older one cannot even be told apart, since the KYC status it is read from is the whole
  account's.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, Security
from fastapi.security import APIKeyHeader
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from api.errors import ERROR_RESPONSES, ApiError, invalid_request
from api.kyc_relay import HOLD, RELAYED, KycRelay, kyc_relay
from api.metrics import WEBHOOK_EVENTS
from api.runtime import Runtime, runtime
from api.schemas import WebhookAck
from providers.kyc_models import KycWebhookNotice, kyc_signature
from store import inbox, onboardings
from store.models import WebhookEvent, utcnow

router = APIRouter(tags=["webhooks"])

SIGNATURE_HEADER = "X-Vobiz-Signature"
_signature = APIKeyHeader(
    name=SIGNATURE_HEADER,
    scheme_name="KycSignature",
    auto_error=False,
    description="`sha256=` and the hex HMAC-SHA256 of the raw body under the master account's auth token",
)


def verified(keys: list[str], body: bytes, header: str | None) -> bool:
    """True when ``header`` is the signature of ``body`` under one of ``keys`` (compared in constant time)."""
    if header is None:
        return False
    given = header.encode("latin-1")  # how the server decoded the header's bytes
    return any(hmac.compare_digest(kyc_signature(body, key).encode(), given) for key in keys)


@router.post(
    "/webhooks/kyc",
    status_code=202,
    response_model=WebhookAck,
    summary="Receive a KYC webhook (X-Vobiz-Signature, no bearer key)",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": KycWebhookNotice.model_json_schema()}},
        }
    },
    responses={
        200: {
            "model": WebhookAck,
            "description": "a redelivery (recorded before), or an event nothing is signalled for",
        },
        401: {"model": ERROR_RESPONSES[401]["model"], "description": "missing or wrong signature"},
        404: {"model": ERROR_RESPONSES[404]["model"], "description": "unknown KYC session"},
        413: ERROR_RESPONSES[413],
        422: ERROR_RESPONSES[422],
    },
)
async def kyc_webhook(
    request: Request,
    response: Response,
    rt: Annotated[Runtime, Depends(runtime)],
    relay: Annotated[KycRelay, Depends(kyc_relay)],
    signature: Annotated[str | None, Security(_signature)],
) -> WebhookAck:
    """Verify, record by (session, event) and answer; the KYC relay confirms a verdict and signals."""
    try:
        ack = await _receive(request, response, rt, relay, signature)
    except ApiError as error:
        WEBHOOK_EVENTS.labels(error.detail.type).inc()
        raise
    except Exception:
        WEBHOOK_EVENTS.labels("unavailable").inc()
        raise
    WEBHOOK_EVENTS.labels(ack.status).inc()
    return ack


async def _receive(
    request: Request, response: Response, rt: Runtime, relay: KycRelay, signature: str | None
) -> WebhookAck:
    body = await request.body()
    if not verified(rt.settings.kyc_webhook_keys(), body, signature):
        raise ApiError(401, "invalid_signature", "missing or invalid webhook signature")
    try:
        event = KycWebhookNotice.model_validate_json(body)
    except ValidationError as exc:
        raise invalid_request(exc.errors(), "the webhook body is invalid") from None
    owner = await run_in_threadpool(onboardings.kyc_session_owner, rt.engine, event.session_id)
    if owner is None:
        raise ApiError(404, "not_found", "unknown KYC session")
    event_id = f"{event.session_id}:{event.event}"
    # a session the onboarding has since replaced gets nothing
    relayed = event.event in RELAYED and not owner.superseded
    now = utcnow()
    row = WebhookEvent(
        id=event_id,
        type=event.event,
        session_id=event.session_id,
        onboarding_id=owner.record.id,
        received_at=now,
        # claimed by this process's relay from the start; nothing to relay is settled at once
        attempts=1 if relayed else 0,
        due_at=now + HOLD if relayed else None,
        signalled_at=None if relayed else now,
    )
    response.status_code = 200
    if not await run_in_threadpool(inbox.record, rt.engine, row):
        return WebhookAck(status="duplicate")
    if not relayed:  # kyc.session_revoked, an event we do not know, or one of a replaced session
        return WebhookAck(status="ignored")
    relay.hand(row)
    response.status_code = 202
    return WebhookAck(status="accepted")
