"""Lifecycle routes of a customer whose onboarding completed: suspend, resume, offboard (with a dry run)
and the audit log of those operations.

Each operation is decided on the stored status document first (404 for another reseller's, 409 with the
reason when it makes no sense, a repeat answered 200 with the document as it is), then handed to the
customer's ``CustomerLifecycle`` workflow (started on the first operation) as an update, which decides
again on its own state (so two racing requests never both pass) and answers once the operation has begun
(202). An ``Idempotency-Key`` makes the update id, so a repeat gets the first answer.
"""

from __future__ import annotations

import contextlib
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Header, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from temporalio.common import (
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.auth import Caller, caller
from api.errors import ApiError, error_responses
from api.onboardings import Reseller, Rt, owned_onboarding, served_document
from api.runtime import Runtime
from api.temporal import bounded, updating
from domain.lifecycle import (
    CUSTOMER_WORKFLOW,
    CustomerInput,
    OffboardOrder,
    OffboardPlan,
    Order,
    ResumeOrder,
    SuspendOrder,
    customer_workflow_id,
    offboard_plan,
)
from domain.onboarding import (
    LifecycleConflict,
    LifecycleOperationName,
    OffboardRequest,
    OnboardingDocument,
    OnboardingState,
    ResumeRequest,
    SuspendRequest,
    lifecycle_decision,
)
from domain.search_attributes import ONBOARDING_REFERENCE, ONBOARDING_STATUS, SUB_ACCOUNT_ID
from store import audit, onboardings
from store.audit import AuditView

router = APIRouter(prefix="/v1/onboardings", tags=["lifecycle"], responses=error_responses(401, 422))

Who = Annotated[Caller, Depends(caller)]
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="Repeat the request with the same key after a lost answer to get the first answer",
    ),
]
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": OnboardingDocument, "description": "a repeat: the customer is there or on its way"},
    **error_responses(404, 409, 413, 503),
}


class AuditLog(BaseModel):
    """``GET /v1/onboardings/{id}/audit``: the customer's lifecycle operations, oldest first."""

    items: list[AuditView]


def _decided(state: OnboardingState, operation: LifecycleOperationName, order: Order) -> bool:
    """True for new work, False for a repeat; 409 with the reason when it makes no sense."""
    try:
        return lifecycle_decision(state, operation, order.request) == "accept"
    except LifecycleConflict as conflict:
        raise ApiError(409, "conflict", str(conflict)) from None


async def _operate(
    rt: Runtime,
    owner: str,
    onboarding_id: str,
    operation: LifecycleOperationName,
    order: Order,
    response: Response,
    idempotency_key: str | None,
) -> OnboardingDocument:
    state = await owned_onboarding(rt, onboarding_id, owner)
    if not _decided(state, operation, order):
        response.status_code = 200
        return served_document(rt, state)
    client = await rt.temporal.client()
    callback_url = await run_in_threadpool(onboardings.callback_url, rt.engine, state.id)
    workflow_id = customer_workflow_id(state.id)
    # one workflow per customer: running, it is used; one that failed (a bug) is started again afresh
    with contextlib.suppress(WorkflowAlreadyStartedError):
        async with bounded():
            await client.start_workflow(
                CUSTOMER_WORKFLOW,
                CustomerInput(state=state, callback_url=callback_url, policy=rt.settings.onboarding_policy()),
                id=workflow_id,
                task_queue=rt.settings.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
                static_summary=f"Customer {state.reference} (onboarding {state.id})",
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(ONBOARDING_REFERENCE, state.reference),
                        SearchAttributePair(ONBOARDING_STATUS, state.status),
                        SearchAttributePair(SUB_ACCOUNT_ID, state.sub_account_id or ""),
                    ]
                ),
            )

    def gone() -> ApiError:
        return ApiError(409, "conflict", "the customer is offboarded")

    async with updating(gone, f"the {operation} was refused"):
        answered: OnboardingState = await client.get_workflow_handle(workflow_id).execute_update(
            operation,
            order,
            # Temporal answers a repeated update id with the first update's outcome
            id=f"{operation}:{idempotency_key}" if idempotency_key else None,
            result_type=OnboardingState,
        )
    return served_document(rt, answered)


@router.post(
    "/{onboarding_id}/suspend",
    status_code=202,
    response_model=OnboardingDocument,
    summary="Suspend a customer",
    responses=_RESPONSES,
)
async def suspend(
    onboarding_id: str,
    request: SuspendRequest,
    response: Response,
    who: Who,
    rt: Rt,
    key: IdempotencyKey = None,
) -> OnboardingDocument:
    """Block the customer's calls, keeping everything: the carrier sub-account is disabled (its numbers
    kept) and the agent's agent-platform numbers are detached. Answers ``suspending``; ``suspended`` follows.
    Only once the onboarding completed (409 otherwise, and while already suspended for another reason)."""
    order = SuspendOrder(actor=who.actor, request=request)
    return await _operate(rt, who.reseller, onboarding_id, "suspend", order, response, key)


@router.post(
    "/{onboarding_id}/resume",
    status_code=202,
    response_model=OnboardingDocument,
    summary="Resume a suspended customer",
    responses=_RESPONSES,
)
async def resume(
    onboarding_id: str,
    response: Response,
    who: Who,
    rt: Rt,
    request: Annotated[ResumeRequest | None, Body()] = None,
    key: IdempotencyKey = None,
) -> OnboardingDocument:
    """Undo the suspension in reverse (numbers attached again, then the sub-account enabled). Answers
    ``resuming``; ``active`` follows. 409 unless suspended."""
    order = ResumeOrder(actor=who.actor, request=request or ResumeRequest())
    return await _operate(rt, who.reseller, onboarding_id, "resume", order, response, key)


@router.post(
    "/{onboarding_id}/offboard",
    status_code=202,
    response_model=OnboardingDocument | OffboardPlan,
    summary="Offboard a customer (or plan it)",
    responses={
        **_RESPONSES,
        200: {"model": OnboardingDocument | OffboardPlan, "description": "a repeat, or a dry run's plan"},
    },
)
async def offboard(
    onboarding_id: str,
    request: OffboardRequest,
    response: Response,
    who: Who,
    rt: Rt,
    key: IdempotencyKey = None,
) -> OnboardingDocument | OffboardPlan:
    """Remove everything the customer holds at the providers: agent, agent-platform numbers and
    sub-account, then the carrier numbers (released, or unassigned and kept in your pool: ``numbers``),
    then the carrier sub-account; a number under the carrier's 15-day cool-off is waited for
    (``cool_off_until``). Answers ``offboarding``; ``offboarded`` follows. With ``dry_run`` the answer is
    the plan (200) and nothing changes."""
    order = OffboardOrder(actor=who.actor, request=request)
    if request.dry_run:
        state = await owned_onboarding(rt, onboarding_id, who.reseller)
        if not _decided(state, "offboard", order):
            raise ApiError(409, "conflict", f"the customer is already {state.status}")
        response.status_code = 200
        return offboard_plan(state, request.numbers)
    return await _operate(rt, who.reseller, onboarding_id, "offboard", order, response, key)


@router.get(
    "/{onboarding_id}/audit",
    response_model=AuditLog,
    summary="A customer's lifecycle operations",
    responses=error_responses(404),
)
async def audit_log(onboarding_id: str, owner: Reseller, rt: Rt) -> AuditLog:
    """Every suspend, resume and offboard the customer was asked for: who (``key:<prefix>`` of the API key,
    or ``operator``), when, why and the request; oldest first. A repeat is not a new entry."""
    await owned_onboarding(rt, onboarding_id, owner)
    return AuditLog(items=await run_in_threadpool(audit.entries, rt.engine, onboarding_id))
