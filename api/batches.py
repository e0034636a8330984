"""Reseller routes for bulk onboarding: send a batch (JSON lines or CSV), read it, pause, resume or
cancel it. A reseller only ever sees its own batches (404 otherwise).

A batch is validated whole (422 naming every row's problems, nothing started), stored with its rows,
then started as its own workflow (``OnboardingBatch``), which starts the rows at the configured pace.
The batch id comes from the reseller and the batch ``reference`` (given, or the hash of the rows), so a
batch sent twice answers the first one and starts nothing twice.
"""

from __future__ import annotations

import contextlib
import hashlib
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from starlette.concurrency import run_in_threadpool
from temporalio.client import Client
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.auth import reseller
from api.batch_files import CSV_TYPE, BatchFileRow, parse_batch
from api.errors import ERROR_RESPONSES, ApiError, FieldError
from api.runtime import Runtime, runtime
from api.schemas import BatchDocument, BatchLinks, Preflight
from api.temporal import bounded, updating
from config import Settings
from domain.batch import (
    BATCH_WORKFLOW,
    FINISHED_BATCH_STATES,
    BatchInput,
    BatchProgress,
    batch_id_for,
)
from domain.onboarding import REFERENCE_MAX_LENGTH
from store import agent_capacity, batches, onboardings
from store.models import BatchRecord, BatchRow, as_utc
from telemetry.temporal_ui import UiLinks
from worker.client import data_converter

router = APIRouter(prefix="/v1/batches", tags=["batches"], responses={401: ERROR_RESPONSES[401]})

Reseller = Annotated[str, Depends(reseller)]
Rt = Annotated[Runtime, Depends(runtime)]
BatchId = Annotated[str, Path(description="the batch id, e.g. batch-march-import", max_length=200)]

_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {**ERROR_RESPONSES[404], "description": "no such batch for this reseller"}
}
_CHANGE_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_NOT_FOUND,
    409: {
        **ERROR_RESPONSES[409],
        "description": "the batch has finished (completed or cancelled), or its workflow is not running",
    },
    503: ERROR_RESPONSES[503],
}
_FILE_BODY = {
    "requestBody": {
        "required": True,
        "description": "one onboarding request per row: JSON lines, or CSV with the request's fields as"
        " columns (nested ones dotted: numbers.country; see docs/batch-template.csv)",
        "content": {
            CSV_TYPE: {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
        },
    }
}


def _not_found() -> ApiError:
    return ApiError(404, "not_found", "no such batch")


async def _owned(rt: Runtime, batch_id: str, owner: str) -> BatchRecord:
    batch = await run_in_threadpool(batches.get, rt.engine, batch_id, owner)
    if batch is None:
        raise _not_found()
    return batch


async def _document(rt: Runtime, batch: BatchRecord) -> BatchDocument:
    """The batch as answered: its figures counted now, the preflight, its Temporal UI link."""
    slots = rt.settings.quota_for(batch.reseller).agent_slots
    figures = await run_in_threadpool(batches.figures, rt.engine, batch, slots)
    needed, free = figures.slots_needed, figures.slots_free
    platform_free = await run_in_threadpool(
        agent_capacity.slots_not_spoken_for,
        rt.engine,
        list(rt.settings.agent_accounts()),
        rt.settings.agents_sub_account_limit,
    )
    return BatchDocument(
        id=batch.id,
        reference=batch.reference,
        state=batch.state,
        rows=batch.rows,
        outcomes=figures.outcomes,
        statuses=figures.statuses,
        rows_failed=figures.rows_failed,
        failed_rows=figures.failed_rows,
        waiting_for=batch.waiting_for,
        waiting_until=None if batch.waiting_until is None else as_utc(batch.waiting_until),
        preflight=Preflight(
            agent_slots_needed=needed,
            agent_slots_free=free,
            platform_slots_free=platform_free,
            enough=needed <= platform_free and (free is None or needed <= free),
        ),
        created_at=as_utc(batch.created_at),
        updated_at=as_utc(batch.updated_at),
        links=BatchLinks(temporal_ui=UiLinks.from_settings(rt.settings).workflow(batch.id)),
    )


async def batch_records(
    settings: Settings, owner: str, reference: str | None, rows: list[BatchFileRow]
) -> tuple[BatchRecord, list[BatchRow]]:
    """``owner``'s batch of ``rows`` as stored: its id from ``reference`` (default: the hash of its rows),
    each row's request encrypted as a workflow payload is."""
    fingerprints = [onboardings.request_fingerprint(row.request) for row in rows]
    content_hash = hashlib.sha256("\n".join(fingerprints).encode()).hexdigest()
    reference = reference or content_hash[:16]
    batch_id = batch_id_for(owner, reference)
    sealed = await data_converter(settings).encode([row.request for row in rows])
    record = BatchRecord(
        id=batch_id,
        reseller=owner,
        reference=reference,
        content_hash=content_hash,
        rows=len(rows),
        state="running",
    )
    stored = [
        BatchRow(
            batch_id=batch_id,
            number=row.number,
            reference=row.request.reference,
            request_hash=fingerprint,
            request=payload.SerializeToString(),
            outcome="pending",
        )
        for row, fingerprint, payload in zip(rows, fingerprints, sealed, strict=True)
    ]
    return record, stored


async def _start_workflow(rt: Runtime, client: Client, batch: BatchRecord) -> None:
    """Start the batch's workflow, or find it running; a closed one is left alone."""
    with contextlib.suppress(WorkflowAlreadyStartedError):
        await client.start_workflow(
            BATCH_WORKFLOW,
            BatchInput(batch_id=batch.id, reseller=batch.reseller, rows=batch.rows),
            id=batch.id,
            task_queue=rt.settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
            id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
            static_summary=f"Batch {batch.reference}: {batch.rows} onboardings",
        )


@router.post(
    "",
    status_code=202,
    response_model=BatchDocument,
    summary="Start a batch of onboardings",
    openapi_extra=_FILE_BODY,
    responses={
        200: {"model": BatchDocument, "description": "this batch was sent before: the same batch"},
        409: {
            **ERROR_RESPONSES[409],
            "description": "the batch reference is taken by a batch with other rows",
        },
        413: ERROR_RESPONSES[413],
        415: {**ERROR_RESPONSES[422], "description": "not CSV or JSON lines, or a charset other than UTF-8"},
        422: ERROR_RESPONSES[422],
        503: ERROR_RESPONSES[503],
    },
)
async def start_batch(
    request: Request,
    response: Response,
    owner: Reseller,
    rt: Rt,
    reference: Annotated[
        str | None,
        Query(
            pattern=rf"^[A-Za-z0-9][A-Za-z0-9._-]{{0,{REFERENCE_MAX_LENGTH - 1}}}$",
            description="your own id for the batch (default: a hash of its rows); the batch id is made"
            " from it, so sending the batch again answers the same batch",
        ),
    ] = None,
) -> BatchDocument:
    """Validate every row (422 naming each problem as ``rows[N].field``, nothing started), store the
    batch and start it: its workflow starts the rows at the configured pace, each as ``POST
    /v1/onboardings`` would (a row whose reference is onboarding already with the same request starts
    nothing; with another request it is reported ``conflict``). The same batch again answers 200."""
    content = await request.body()
    rows = await run_in_threadpool(parse_batch, content, request.headers.get("content-type", ""), rt.settings)
    record, stored = await batch_records(rt.settings, owner, reference, rows)
    try:
        batch, created = await run_in_threadpool(batches.create, rt.engine, record, stored)
    except batches.BatchConflict:
        raise ApiError(
            409,
            "conflict",
            "this batch reference is already used by a batch with other rows",
            fields=[FieldError(field="reference", message="already used by another batch")],
        ) from None
    if batch.state not in FINISHED_BATCH_STATES:
        client = await rt.temporal.client()
        async with bounded():
            await _start_workflow(rt, client, batch)
    if not created:
        response.status_code = 200
    return await _document(rt, batch)


@router.get("/{batch_id}", response_model=BatchDocument, summary="Read a batch", responses=_NOT_FOUND)
async def get_batch(batch_id: BatchId, owner: Reseller, rt: Rt) -> BatchDocument:
    """The batch: rows per outcome, its onboardings per status, the failed rows with their reasons."""
    return await _document(rt, await _owned(rt, batch_id, owner))


async def _change(rt: Runtime, batch_id: str, owner: str, update: str) -> BatchDocument:
    """Ask the batch's workflow for ``update``; answered once it is done, from the database."""
    batch = await _owned(rt, batch_id, owner)

    def finished() -> ApiError:
        if batch.state in FINISHED_BATCH_STATES:
            return ApiError(409, "conflict", f"the batch has already finished ({batch.state})")
        # stored, but no workflow: its start failed (answered 503) and the batch was not sent again
        return ApiError(
            409,
            "conflict",
            f"the batch is stored ({batch.state}) but its workflow is not running: if Temporal was"
            " unreachable when it was sent, send it again to start it",
        )

    if batch.state == "cancelled" and update == "cancel":
        return await _document(rt, batch)
    if batch.state in FINISHED_BATCH_STATES:
        raise finished()
    client = await rt.temporal.client()
    async with updating(finished, f"the batch refused to {update}"):
        await client.get_workflow_handle(batch.id).execute_update(update, result_type=BatchProgress)
    return await _document(rt, await _owned(rt, batch_id, owner))


@router.post(
    "/{batch_id}/pause", response_model=BatchDocument, summary="Pause a batch", responses=_CHANGE_RESPONSES
)
async def pause_batch(batch_id: BatchId, owner: Reseller, rt: Rt) -> BatchDocument:
    """Start no more rows until resumed; answered once the rows being started are recorded."""
    return await _change(rt, batch_id, owner, "pause")


@router.post(
    "/{batch_id}/resume", response_model=BatchDocument, summary="Resume a batch", responses=_CHANGE_RESPONSES
)
async def resume_batch(batch_id: BatchId, owner: Reseller, rt: Rt) -> BatchDocument:
    """Start the rows left again."""
    return await _change(rt, batch_id, owner, "resume")


@router.post(
    "/{batch_id}/cancel", response_model=BatchDocument, summary="Cancel a batch", responses=_CHANGE_RESPONSES
)
async def cancel_batch(batch_id: BatchId, owner: Reseller, rt: Rt) -> BatchDocument:
    """Start no more rows: the rows not started are ``skipped``. The onboardings already started go on
    (cancel each with ``POST /v1/onboardings/{id}/cancel``)."""
    return await _change(rt, batch_id, owner, "cancel")
