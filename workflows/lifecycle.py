"""``CustomerLifecycle``: one long-lived workflow per customer past onboarding, id ``customer-<reseller>~
<reference>``, taking the reseller's suspend, resume and offboard as updates (why this shape:
docs/lifecycle.md).

An update is decided at once (refused with the reason, answered as a repeat, or accepted) and answers once
its working status (``suspending``, ``resuming``, ``offboarding``) is recorded; the workflow then carries
the operations out one at a time, in the order they were accepted. It ends once the customer is
offboarded, and continues as new every ``operations_per_run`` operations.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from temporalio import workflow
from temporalio.exceptions import ActivityError, ApplicationError, FailureError

from workflows.callback_delivery import CallbackOutbox
from workflows.mirror import RECORD_RETRY, mirror_state
from workflows.steps import provider_activity, release_carrier_numbers

with workflow.unsafe.imports_passed_through():
    from activities.callbacks import Callbacks
    from activities.cleanup import Cleanup
    from activities.lifecycle import Lifecycle
    from activities.models import (
        AgentTarget,
        CarrierSwitch,
        CleanUp,
        MirrorState,
        NumbersReleased,
    )
    from activities.records import Records
    from domain import search_attributes as attrs
    from domain.lifecycle import (
        CUSTOMER_WORKFLOW,
        AgentAttachments,
        AuditEntry,
        CustomerInput,
        OffboardOrder,
        Order,
        ResumeOrder,
        SuspendOrder,
        apply_order,
    )
    from domain.onboarding import (
        ErrorInfo,
        LifecycleConflict,
        LifecycleInfo,
        LifecycleOperationName,
        OnboardingState,
        OnboardingStatus,
        lifecycle_decision,
    )

T = TypeVar("T")


@workflow.defn(name=CUSTOMER_WORKFLOW)
class CustomerLifecycle:
    """A customer's life after onboarding; updates ``suspend``, ``resume``, ``offboard``; query ``status``."""

    @workflow.init
    def __init__(self, start: CustomerInput) -> None:
        self._start = start
        self._state = start.state.model_copy(deep=True)
        if self._state.lifecycle is None:
            self._state.lifecycle = LifecycleInfo()
        #: the document as it will be once every accepted order is carried out: updates are decided on it
        self._projected = self._state.model_copy(deep=True)
        self._orders: list[tuple[int, LifecycleOperationName, Order, datetime]] = []
        #: the sequence number of the last order whose working status is recorded
        self._begun = self._state.lifecycle.operations
        self._performed = 0
        self._detached = start.detached
        self._callbacks = CallbackOutbox(
            start.callback_url,
            workflow.info().workflow_id,
            Callbacks.deliver_callback,
            start.callbacks_queued,
        )

    @workflow.run
    async def run(self, start: CustomerInput) -> OnboardingState:
        """Carry out the accepted operations until the customer is offboarded."""
        self._describe()
        while self._state.status != "offboarded":
            if self._performed >= start.operations_per_run and not self._orders:
                await self._callbacks.delivered()
                if not self._orders and workflow.all_handlers_finished():
                    workflow.continue_as_new(
                        start.model_copy(
                            update={
                                "state": self._state,
                                "detached": self._detached,
                                "callbacks_queued": self._callbacks.queued,
                            }
                        )
                    )
            await workflow.wait_condition(lambda: bool(self._orders))
            seq, operation, order, at = self._orders.pop(0)
            await self._perform(seq, operation, order, at)
            self._performed += 1
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self._callbacks.delivered()
        return self._state

    # Messages -------------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> OnboardingState:
        """The live status document."""
        return self._state

    @workflow.update
    async def suspend(self, order: SuspendOrder) -> OnboardingState:
        """Disable the carrier sub-account (numbers kept) and detach the agent-platform numbers."""
        return await self._take("suspend", order)

    @workflow.update
    async def resume(self, order: ResumeOrder) -> OnboardingState:
        """Undo the suspension, in reverse."""
        return await self._take("resume", order)

    @workflow.update
    async def offboard(self, order: OffboardOrder) -> OnboardingState:
        """Remove everything the customer holds at the providers (carrier numbers released or kept)."""
        return await self._take("offboard", order)

    @suspend.validator
    def _validate_suspend(self, order: SuspendOrder) -> None:
        self._decide("suspend", order)

    @resume.validator
    def _validate_resume(self, order: ResumeOrder) -> None:
        self._decide("resume", order)

    @offboard.validator
    def _validate_offboard(self, order: OffboardOrder) -> None:
        self._decide("offboard", order)

    def _decide(self, operation: LifecycleOperationName, order: Order) -> bool:
        """True for new work, False for a repeat; a conflict is the update's failure, with the reason."""
        try:
            return lifecycle_decision(self._projected, operation, order.request) == "accept"
        except LifecycleConflict as conflict:
            raise ApplicationError(str(conflict), type="lifecycle_conflict", non_retryable=True) from None

    async def _take(self, operation: LifecycleOperationName, order: Order) -> OnboardingState:
        """Accept ``order`` (a repeat answers the document as it is) and answer once it has begun."""
        if not self._decide(operation, order):
            return self._state
        apply_order(self._projected, operation, order, workflow.now())
        seq = (self._projected.lifecycle or LifecycleInfo()).operations
        self._orders.append((seq, operation, order, workflow.now()))
        await workflow.wait_condition(lambda: self._begun >= seq)
        return self._state

    # Operations -----------------------------------------------------------------------------------

    async def _perform(self, seq: int, operation: LifecycleOperationName, order: Order, at: datetime) -> None:
        apply_order(self._state, operation, order, at)
        await self._audit(seq, operation, order, at)
        workflow.metric_meter().create_counter(
            "lifecycle_operations", "customer lifecycle operations begun, by operation"
        ).add(1, {"operation": operation})
        await self._set_status(self._state.status)
        self._begun = seq
        try:
            if isinstance(order, SuspendOrder):
                await self._suspend()
            elif isinstance(order, ResumeOrder):
                await self._resume()
            else:
                await self._offboard(order)
        except ActivityError as failure:
            await self._failed(operation, failure)

    async def _suspend(self) -> None:
        """The carrier sub-account disabled first (no call nor trunk use from now), then the agent's
        agent-platform numbers detached (kept, so no call reaches the agent there either)."""
        sub_account_id = self._sub_account_id()
        await self._step(
            Lifecycle.switch_carrier_sub_account,
            CarrierSwitch(sub_account_id=sub_account_id, enabled=False),
            "disable carrier sub-account",
        )
        found: AgentAttachments = await self._step(
            Lifecycle.agent_attachments,
            AgentTarget(
                carrier_sub_account_id=sub_account_id,
                agent_account=self._state.agent_account,
                onboarding_id=self._state.id,
            ),
            "find agent-platform numbers",
        )
        known = {item.number_id for item in self._detached.items}
        self._detached = AgentAttachments(
            items=[*self._detached.items, *(item for item in found.items if item.number_id not in known)],
            agent_account=found.agent_account,
        )
        await self._step(Lifecycle.detach_agent_numbers, self._detached, "detach agent-platform numbers")
        await self._set_status("suspended")

    async def _resume(self) -> None:
        """The suspension undone in reverse: numbers attached again, then the sub-account enabled."""
        await self._step(Lifecycle.attach_agent_numbers, self._detached, "attach agent-platform numbers")
        self._detached = AgentAttachments()
        await self._step(
            Lifecycle.switch_carrier_sub_account,
            CarrierSwitch(sub_account_id=self._sub_account_id(), enabled=True),
            "enable carrier sub-account",
        )
        life = self._state.lifecycle or LifecycleInfo()
        life.suspension_reason = life.suspension_note = life.suspended_at = None
        await self._set_status("active")

    async def _offboard(self, order: OffboardOrder) -> None:
        """The compensation's steps: agent-platform side, carrier numbers (waiting out any cool-off),
        carrier sub-account."""
        keep = order.request.numbers == "keep"
        target = CleanUp(
            onboarding_id=self._state.id,
            sub_account_id=self._state.sub_account_id,
            keep_numbers=keep,
            agent_account=self._state.agent_account,
        )
        await self._step(Cleanup.delete_agent_resources, target, "delete agent-platform sub-account")

        async def release() -> NumbersReleased | None:
            verb = "unassign and keep" if keep else "release"
            return await self._step(Cleanup.release_numbers, target, f"{verb} carrier numbers")

        async def waiting(until: datetime) -> None:
            self._state.cool_off_until = until
            await self._set_status("offboarding")

        await release_carrier_numbers(release, waiting)
        self._state.cool_off_until = None
        await self._step(Cleanup.delete_sub_account, target, "disable and delete carrier sub-account")
        self._detached = AgentAttachments()
        self._state.numbers = []
        self._state.agent_id = None
        await self._set_status("offboarded")

    async def _failed(self, operation: LifecycleOperationName, failure: ActivityError) -> None:
        """A step failed for good (after the policy's cleanup deadline, or refused by the provider): the
        status stays where the operation was, with the error, and the workflow fails for an operator."""
        cause = failure.cause.message if isinstance(failure.cause, FailureError) else str(failure)
        self._state.error = ErrorInfo(type="lifecycle_failed", message=f"{operation} failed: {cause}")
        await self._set_status(self._state.status)
        raise ApplicationError(self._state.error.message, type="lifecycle_failed", non_retryable=True)

    # Plumbing -------------------------------------------------------------------------------------

    def _step(self, activity: Callable[..., Awaitable[T]], arg: Any, summary: str) -> Awaitable[T]:
        deadline = timedelta(seconds=self._start.policy.cleanup_deadline_s)
        return provider_activity(activity, arg, policy=self._start.policy, summary=summary, deadline=deadline)

    def _sub_account_id(self) -> str:
        if self._state.sub_account_id is None:
            raise ApplicationError("the customer has no carrier sub-account", non_retryable=True)
        return self._state.sub_account_id

    async def _audit(self, seq: int, operation: LifecycleOperationName, order: Order, at: datetime) -> None:
        request = order.request
        await workflow.execute_activity_method(
            Records.record_audit,
            AuditEntry(
                onboarding_id=self._state.id,
                reseller=self._state.reseller,
                seq=seq,
                operation=operation,
                actor=order.actor,
                at=at,
                reason=getattr(request, "reason", None),
                request=request.model_dump(mode="json", exclude_none=True),
            ),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RECORD_RETRY,
            summary=f"audit {operation}",
        )

    async def _set_status(self, status: OnboardingStatus) -> None:
        """Record a change: the search attribute (once it moves), the database mirror and a callback."""
        self._state.status = status
        self._state.updated_at = workflow.now()
        if workflow.info().typed_search_attributes.get(attrs.ONBOARDING_STATUS) != status:
            workflow.upsert_search_attributes([attrs.ONBOARDING_STATUS.value_set(status)])
        self._describe()
        self._callbacks.queue(self._state)
        await mirror_state(MirrorState(state=self._state))

    def _describe(self) -> None:
        """The Temporal UI's current details: where the customer stands."""
        life = self._state.lifecycle or LifecycleInfo()
        details = f"{self._state.status}; onboarding {self._state.id}; {life.operations} operation(s)"
        if self._state.status in ("suspending", "suspended"):
            details += f"; reason {life.suspension_reason}"
        if self._state.cool_off_until is not None:
            details += f"; waiting for a number's cool-off until {self._state.cool_off_until.isoformat()}"
        workflow.set_current_details(details)
