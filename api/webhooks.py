"""``POST /webhooks/kyc``: the provider's KYC verdicts, verified, recorded once, signalled to the workflow.

Order matters for "nothing lost, nothing twice": the raw body is verified before it is parsed; the event
is recorded in the inbox before the signal and marked signalled after it, so a delivery that fails
(503: Temporal unreachable) is signalled again on redelivery, and one that succeeded is answered
``duplicate`` without signalling. The workflow itself also ignores a repeated event id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from pydantic import ValidationError
from standardwebhooks.webhooks import WebhookVerificationError
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from api.errors import ERROR_RESPONSES, ApiError, invalid_request
from api.metrics import WEBHOOK_EVENTS
from api.runtime import Runtime, runtime
from api.schemas import WebhookAck
from api.temporal import bounded, is_gone
from providers.carrier_models import KycWebhookEvent
from store import inbox, onboardings
from store.models import WebhookEvent
from workflows.models import KycResult

router = APIRouter(tags=["webhooks"])

_SIGNATURE_HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


def verified(rt: Runtime, body: bytes, request: Request) -> bool:
    """True when any active secret signed ``body`` within the 5-minute tolerance."""
    headers = {name: request.headers[name] for name in _SIGNATURE_HEADERS if name in request.headers}
    for webhook in rt.webhooks:
        try:
            webhook.verify(body, headers, json_parse=False)
        except (WebhookVerificationError, ValueError):  # ValueError: undecodable body or signature
            continue
        return True
    return False


def kyc_result(event_id: str, event: KycWebhookEvent) -> KycResult | None:
    """The signal for a final verdict; None for an event that decides nothing (still pending)."""
    if event.type == "kyc.session.expired":
        outcome = "expired"
    elif event.data.overall_status == "verified":
        outcome = "approved"
    elif event.data.overall_status == "failed":
        outcome = "rejected"
    else:
        return None
    return KycResult(
        event_id=event_id,
        session_id=event.data.session_id,
        outcome=outcome,
        occurred_at=event.data.occurred_at,
    )


@router.post(
    "/webhooks/kyc",
    status_code=202,
    response_model=WebhookAck,
    summary="Receive a KYC webhook (Standard Webhooks signature, no bearer key)",
    responses={
        200: {"model": WebhookAck, "description": "a redelivery, or a verdict nobody waits for any more"},
        401: {"model": ERROR_RESPONSES[401]["model"], "description": "missing, wrong or stale signature"},
        404: {"model": ERROR_RESPONSES[404]["model"], "description": "unknown KYC session"},
        413: ERROR_RESPONSES[413],
        422: ERROR_RESPONSES[422],
        503: ERROR_RESPONSES[503],
    },
)
async def kyc_webhook(
    request: Request, response: Response, rt: Annotated[Runtime, Depends(runtime)]
) -> WebhookAck:
    """Verify, record by ``webhook-id``, signal ``kyc_result``; 503 asks the provider to redeliver."""
    try:
        ack = await _receive(request, response, rt)
    except ApiError as error:
        WEBHOOK_EVENTS.labels(error.detail.type).inc()
        raise
    except Exception:
        WEBHOOK_EVENTS.labels("unavailable").inc()
        raise
    WEBHOOK_EVENTS.labels(ack.status).inc()
    return ack


async def _receive(request: Request, response: Response, rt: Runtime) -> WebhookAck:
    body = await request.body()
    if not verified(rt, body, request):
        raise ApiError(401, "invalid_signature", "missing, invalid or expired webhook signature")
    event_id = request.headers["webhook-id"]
    try:
        event = KycWebhookEvent.model_validate_json(body)
    except ValidationError as exc:
        raise invalid_request(exc.errors(), "the webhook body is invalid") from None
    record = await run_in_threadpool(onboardings.find_by_kyc_session, rt.engine, event.data.session_id)
    if record is None:
        raise ApiError(404, "not_found", "unknown KYC session")
    row = await run_in_threadpool(
        inbox.record,
        rt.engine,
        WebhookEvent(id=event_id, type=event.type, session_id=event.data.session_id, onboarding_id=record.id),
    )
    response.status_code = 200
    if row.signalled_at is not None:
        return WebhookAck(status="duplicate")
    result = kyc_result(event_id, event)
    if result is None:
        await run_in_threadpool(inbox.mark_signalled, rt.engine, event_id)
        return WebhookAck(status="ignored")
    client = await rt.temporal.client()
    try:
        async with bounded():
            await client.get_workflow_handle(record.id).signal("kyc_result", result)
    except RPCError as exc:
        if not is_gone(exc):
            raise
        await run_in_threadpool(inbox.mark_signalled, rt.engine, event_id)
        return WebhookAck(status="ignored")
    await run_in_threadpool(inbox.mark_signalled, rt.engine, event_id)
    response.status_code = 202
    return WebhookAck(status="accepted")
