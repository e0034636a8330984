"""Models of the ``CustomerLifecycle`` workflow: its input, the orders its updates take, the plan an
offboarding's dry run answers, the agent-platform numbers a suspension detached and the audit entries
the API serves. Pure pydantic, no I/O."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field, JsonValue

from domain.onboarding import (
    WORKFLOW_ID_PREFIX,
    LifecycleInfo,
    LifecycleOperationName,
    NumbersOnOffboard,
    OffboardRequest,
    OnboardingPolicy,
    OnboardingState,
    ResumeRequest,
    SuspendRequest,
)

CUSTOMER_WORKFLOW = "CustomerLifecycle"
CUSTOMER_ID_PREFIX = "customer-"
#: the status each operation shows while it works, and the one it ends in
TRANSITIONAL: dict[LifecycleOperationName, str] = {
    "suspend": "suspending",
    "resume": "resuming",
    "offboard": "offboarding",
}
#: the customer is being changed: an operation is under way
WORKING_LIFECYCLE_STATUSES = frozenset(TRANSITIONAL.values())


def customer_workflow_id(onboarding_id: str) -> str:
    """``customer-<reseller>~<reference>`` beside the onboarding's ``onboarding-<reseller>~<reference>``."""
    return CUSTOMER_ID_PREFIX + onboarding_id.removeprefix(WORKFLOW_ID_PREFIX)


class AgentAttachment(BaseModel):
    """One agent-platform number attached to an agent."""

    agent_sub_account_id: str
    agent_id: str
    number_id: str


class AgentAttachments(BaseModel):
    """The attachments suspend took off (and resume puts back), in master account ``agent_account``."""

    items: list[AgentAttachment] = []
    agent_account: str | None = None


class SuspendOrder(BaseModel):
    """Update ``suspend``: the request and who asked (the API key's prefix, or ``operator``)."""

    actor: str
    request: SuspendRequest


class ResumeOrder(BaseModel):
    """Update ``resume``."""

    actor: str
    request: ResumeRequest


class OffboardOrder(BaseModel):
    """Update ``offboard``."""

    actor: str
    request: OffboardRequest


Order = SuspendOrder | ResumeOrder | OffboardOrder


class CustomerInput(BaseModel):
    """The workflow's single argument: the status document as the onboarding left it (or as the last run
    left it, across a continue-as-new) and what the customer's lifecycle needs to carry on."""

    state: OnboardingState
    callback_url: str | None = None
    policy: OnboardingPolicy = Field(default_factory=OnboardingPolicy)
    #: the agent-platform numbers a suspension detached, attached again by the resume
    detached: AgentAttachments = Field(default_factory=AgentAttachments)
    callbacks_queued: int = 0
    #: operations a run performs before it continues as new
    operations_per_run: int = 100


def apply_order(
    state: OnboardingState, operation: LifecycleOperationName, order: Order, at: datetime
) -> None:
    """Record an accepted ``order`` in ``state``: its working status and what the lifecycle keeps."""
    life = state.lifecycle = (state.lifecycle or LifecycleInfo()).model_copy()
    life.operations += 1
    life.last_operation = operation
    if isinstance(order, SuspendOrder):
        life.suspension_reason, life.suspension_note, life.suspended_at = (
            order.request.reason,
            order.request.note,
            at,
        )
    elif isinstance(order, OffboardOrder):
        life.offboard_numbers = order.request.numbers
    state.status = TRANSITIONAL[operation]  # type: ignore[assignment]
    state.updated_at = at


PlanAction = Literal["delete", "release", "keep"]
PlanResource = Literal[
    "agent", "agent_platform_number", "agent_platform_sub_account", "carrier_number", "carrier_sub_account"
]
_COOL_OFF = (
    "at once, or when the carrier's 15-day unassign cool-off ends if it had a call in the last 15 days"
    " (the carrier says so only when asked; the status document's cool_off_until then shows the wait)"
)


class PlanStep(BaseModel):
    """One thing an offboarding does, in order."""

    action: PlanAction
    resource: PlanResource
    id: str | None = Field(description="the provider's id or number (None: found by name at the provider)")
    when: str


class OffboardPlan(BaseModel):
    """What offboarding the customer would do (the answer of a dry run); nothing was changed."""

    onboarding_id: str
    status: str
    numbers: NumbersOnOffboard
    dry_run: Literal[True] = True
    steps: list[PlanStep]


def offboard_plan(state: OnboardingState, numbers: NumbersOnOffboard) -> OffboardPlan:
    """The steps offboarding ``state``'s customer takes, in the order it takes them: the agent-platform
    side first, then the carrier numbers (released, or kept in the reseller's pool), then the carrier
    sub-account; nothing left that bills."""
    steps = [PlanStep(action="delete", resource="agent", id=state.agent_id, when="at once")]
    if state.numbers_provider == "agent_platform":
        steps += [
            PlanStep(action="release", resource="agent_platform_number", id=number, when="at once")
            for number in state.numbers
        ]
    steps.append(
        PlanStep(
            action="delete", resource="agent_platform_sub_account", id=None, when="at once, after the agent"
        )
    )
    if state.numbers_provider == "carrier":
        action: PlanAction = "release" if numbers == "release" else "keep"
        steps += [
            PlanStep(action=action, resource="carrier_number", id=number, when=_COOL_OFF)
            for number in state.numbers
        ]
    steps.append(
        PlanStep(
            action="delete",
            resource="carrier_sub_account",
            id=state.sub_account_id,
            when="once every carrier number is unassigned",
        )
    )
    return OffboardPlan(onboarding_id=state.id, status=state.status, numbers=numbers, steps=steps)


class AuditEntry(BaseModel):
    """One lifecycle operation as asked: who (the API key or operator), when, what and why."""

    onboarding_id: str
    reseller: str
    seq: int
    operation: str
    actor: str
    at: datetime
    reason: str | None = None
    request: dict[str, JsonValue]
