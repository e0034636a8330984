"""``POST /webhooks/kyc``: the carrier's KYC webhooks, verified, recorded once, confirmed, signalled.

The vendor signs the raw body (``X-Vobiz-Signature: sha256=<hex>``, HMAC-SHA256 keyed with the master
account's auth token; the previous token also verifies during a rotation) with no timestamp or event id,
so a captured delivery can be replayed: each (session, event) is recorded in the inbox once, and a verdict
is only signalled as the provider confirms it on a GET of the session. Only ``event`` and ``session_id``
of the body (whose other fields are ours) are relied upon.

- ``kyc.initiated`` / ``kyc.submitted``: signal ``kyc_progress``, and write the progress into the stored
  status document, which reads are served from (the workflow issues no command for progress, so its own
  mirror carries it only with its next change);
- ``kyc.completed`` / ``kyc.failed`` / ``kyc.session_expired``: signal ``kyc_result`` with the verdict the
  provider confirms (approved / rejected / expired); one the provider contradicts is logged and ignored
  (200); one it has not decided yet is answered 503, so the provider redelivers it later;
- ``kyc.session_revoked``, events we do not know, and any event of a session the onboarding has since
  replaced: nothing (200). The onboarding goes on with its newer session; the provider's verdict on an
  older one cannot even be told apart, since the KYC status it is read from is the whole account's.

The inbox row is written before the signal and marked after it: a delivery answered 503 (Temporal or the
provider unreachable) is signalled on redelivery, one already signalled is answered ``duplicate``.
"""

from __future__ import annotations

import hmac
import logging
from datetime import UTC, datetime
from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Depends, Request, Response, Security
from fastapi.security import APIKeyHeader
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool
from temporalio.service import RPCError

from api.errors import ERROR_RESPONSES, ApiError, invalid_request
from api.metrics import WEBHOOK_EVENTS
from api.runtime import Runtime, runtime
from api.schemas import WebhookAck
from api.temporal import bounded, is_gone
from domain.onboarding import KycProgress, KycProgressEvent, KycResult, OnboardingState
from providers.errors import NotFound, ProviderError
from providers.kyc_models import KycWebhookNotice, kyc_signature
from store import inbox, onboardings
from store.models import OnboardingRecord, WebhookEvent

router = APIRouter(tags=["webhooks"])
log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Vobiz-Signature"
_signature = APIKeyHeader(
    name=SIGNATURE_HEADER,
    scheme_name="KycSignature",
    auto_error=False,
    description="`sha256=` and the hex HMAC-SHA256 of the raw body under the master account's auth token",
)
#: what a verdict event claims, to be confirmed by the provider
CLAIMED: dict[str, Literal["approved", "rejected", "expired"]] = {
    "kyc.completed": "approved",
    "kyc.failed": "rejected",
    "kyc.session_expired": "expired",
}


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
            "description": "a redelivery, a verdict unconfirmed or revoked, or one nobody waits for any more",
        },
        401: {"model": ERROR_RESPONSES[401]["model"], "description": "missing or wrong signature"},
        404: {"model": ERROR_RESPONSES[404]["model"], "description": "unknown KYC session"},
        413: ERROR_RESPONSES[413],
        422: ERROR_RESPONSES[422],
        503: ERROR_RESPONSES[503],
    },
)
async def kyc_webhook(
    request: Request,
    response: Response,
    rt: Annotated[Runtime, Depends(runtime)],
    signature: Annotated[str | None, Security(_signature)],
) -> WebhookAck:
    """Verify, record by (session, event), confirm a verdict, signal; 503 asks the provider to redeliver."""
    try:
        ack = await _receive(request, response, rt, signature)
    except ApiError as error:
        WEBHOOK_EVENTS.labels(error.detail.type).inc()
        raise
    except Exception:
        WEBHOOK_EVENTS.labels("unavailable").inc()
        raise
    WEBHOOK_EVENTS.labels(ack.status).inc()
    return ack


async def _receive(request: Request, response: Response, rt: Runtime, signature: str | None) -> WebhookAck:
    body = await request.body()
    if not verified(rt.settings.kyc_webhook_keys(), body, signature):
        raise ApiError(401, "invalid_signature", "missing or invalid webhook signature")
    try:
        event = KycWebhookNotice.model_validate_json(body)
    except ValidationError as exc:
        raise invalid_request(exc.errors(), "the webhook body is invalid") from None
    record = await run_in_threadpool(onboardings.find_by_kyc_session, rt.engine, event.session_id)
    if record is None:
        raise ApiError(404, "not_found", "unknown KYC session")
    event_id = f"{event.session_id}:{event.event}"
    row = await run_in_threadpool(
        inbox.record,
        rt.engine,
        WebhookEvent(id=event_id, type=event.event, session_id=event.session_id, onboarding_id=record.id),
    )
    response.status_code = 200
    if row.signalled_at is not None:
        return WebhookAck(status="duplicate")
    if await run_in_threadpool(onboardings.superseded, rt.engine, event.session_id):
        await run_in_threadpool(inbox.mark_signalled, rt.engine, event_id)
        return WebhookAck(status="ignored")
    occurred_at = datetime.now(UTC)  # the body's own times are not published
    signal: tuple[str, BaseModel]
    progress: KycProgress | None = None
    if event.event in get_args(KycProgressEvent):
        progress = KycProgress.model_validate(
            {
                "event_id": event_id,
                "session_id": event.session_id,
                "event": event.event,
                "occurred_at": occurred_at,
                "documents": await _documents(rt, record),
            }
        )
        signal = ("kyc_progress", progress)
    elif event.event in CLAIMED:
        outcome = CLAIMED[event.event]
        if not await _confirmed(rt, record, event, outcome):
            return WebhookAck(status="ignored")
        result = KycResult(
            event_id=event_id, session_id=event.session_id, outcome=outcome, occurred_at=occurred_at
        )
        signal = ("kyc_result", result)
    else:  # kyc.session_revoked (a newer session replaced it), or an event we do not know
        await run_in_threadpool(inbox.mark_signalled, rt.engine, event_id)
        return WebhookAck(status="ignored")
    if not await _signal(rt, record.id, *signal):
        await run_in_threadpool(inbox.mark_signalled, rt.engine, event_id)
        return WebhookAck(status="ignored")
    if progress is not None:
        await run_in_threadpool(onboardings.record_progress, rt.engine, record.id, progress)
    await run_in_threadpool(inbox.mark_signalled, rt.engine, event_id)
    response.status_code = 202
    return WebhookAck(status="accepted")


async def _documents(rt: Runtime, record: OnboardingRecord) -> dict[str, str] | None:
    """The provider's state of each KYC document of the onboarding's sub-account; None when it cannot be
    read now (progress is shown without it: it is a nicety, not worth a redelivery)."""
    sub_auth_id = OnboardingState.model_validate_json(record.document).sub_account_id
    if sub_auth_id is None:
        return None
    try:
        status = await rt.carrier.get_kyc_status(sub_auth_id)
    except ProviderError as exc:
        log.info("KYC documents of %s not read: %s", sub_auth_id, exc.message)
        return None
    return {name: state for name, state in status.verifications.items() if isinstance(state, str)}


async def _confirmed(rt: Runtime, record: OnboardingRecord, event: KycWebhookNotice, outcome: str) -> bool:
    """Whether the provider's session GET confirms ``outcome`` (False: it says otherwise); 503 when it
    cannot be asked or has not decided yet, so the provider redelivers."""
    sub_auth_id = OnboardingState.model_validate_json(record.document).sub_account_id
    if sub_auth_id is None:
        raise ApiError(503, "unavailable", "the KYC session's sub-account is not recorded yet, retry later")
    try:
        verdict = await rt.carrier.kyc_verdict(sub_auth_id, event.session_id)
    except NotFound:
        verdict = None
    except ProviderError as exc:
        log.warning("KYC %s for session %s not confirmed yet: %s", event.event, event.session_id, exc.message)
        raise ApiError(
            503, "unavailable", "the provider could not confirm the verdict, retry later"
        ) from None
    if verdict is None:
        log.info("KYC %s for session %s not decided at the provider yet", event.event, event.session_id)
        raise ApiError(503, "unavailable", "the provider has not decided this session yet, retry later")
    if verdict != outcome:
        log.warning(
            "KYC %s for session %s ignored: the provider says %s", event.event, event.session_id, verdict
        )
        return False
    return True


async def _signal(rt: Runtime, workflow_id: str, name: str, payload: BaseModel) -> bool:
    """Signal the onboarding; False when its workflow is gone."""
    client = await rt.temporal.client()
    try:
        async with bounded():
            await client.get_workflow_handle(workflow_id).signal(name, payload)
    except RPCError as exc:
        if not is_gone(exc):
            raise
        return False
    return True
