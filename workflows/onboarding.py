"""``CustomerOnboarding``: one durable workflow per end customer, reading like the onboarding steps.

create sub-account → hosted KYC (wait days for the verdict) → unblock calls → buy carrier numbers →
create agent → completed; with ``numbers.provider = agent_platform`` the agent comes first and the
numbers are bought beside it on the agent platform. Cancellation and terminal failures compensate in
reverse, waiting out a number's unassign cool-off. All I/O is in activities.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, Literal, NoReturn, TypeVar

from temporalio import workflow
from temporalio.common import RetryPolicy
from temporalio.exceptions import ActivityError, ApplicationError, CancelledError, FailureError

from workflows.callback_delivery import CallbackOutbox
from workflows.mirror import mirror_state
from workflows.patches import (
    AGENT_CAPACITY,
    CLEANUP_FAILURE_ENDS_FAILED,
    KYC_REMINDERS,
    UPSERT_PER_STATUS_CHANGE,
    Patches,
)
from workflows.steps import provider_activity, release_carrier_numbers

with workflow.unsafe.imports_passed_through():
    from activities.callbacks import Callbacks
    from activities.capacity import Capacity
    from activities.cleanup import Cleanup
    from activities.errors import ACCOUNT_FULL, NON_RETRYABLE_TYPES
    from activities.models import (
        AgentCreated,
        AgentSlotTaken,
        BuyAgentNumbers,
        CheckKycSession,
        CleanUp,
        CreateAgent,
        CreateSubAccount,
        KycSessionStarted,
        MirrorState,
        NumbersReleased,
        PickNumbers,
        PurchaseNumber,
        StartKycSession,
        TakeAgentSlot,
    )
    from activities.provisioning import Provisioning
    from domain import search_attributes as attrs
    from domain.onboarding import (
        AGENT_CAPACITY_FREED,
        KYC_REMINDER,
        REQUIRED_DOCUMENTS,
        STATUS_CHANGED,
        TERMINAL_STATUSES,
        WORKFLOW_NAME,
        ErrorInfo,
        KycInfo,
        KycProgress,
        KycRestartRequest,
        KycResult,
        OnboardingInput,
        OnboardingState,
        OnboardingStatus,
    )

T = TypeVar("T")
Verdict = Literal["approved", "rejected", "expired"]

#: Provider steps retry for this long before the onboarding gives up (and compensates).
_STEP_DEADLINE = timedelta(hours=6)
#: Waiting for the provider to lift ``kyc_calls_blocked`` after approval.
_UNBLOCK_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=1.5,
    maximum_interval=timedelta(minutes=5),
    non_retryable_error_types=NON_RETRYABLE_TYPES,
)
#: Rounds of inventory picks before giving up on finding numbers.
_NUMBER_ROUNDS = 5


class OnboardingFailed(Exception):
    """A step failed for good: compensate and end ``failed`` with this error."""

    def __init__(self, error: ErrorInfo) -> None:
        super().__init__(error.message)
        self.error = error


@workflow.defn(name=WORKFLOW_NAME)
class CustomerOnboarding:
    """Onboards one end customer; query ``status``, signal ``kyc_result``, update ``restart_kyc``."""

    @workflow.init
    def __init__(self, start: OnboardingInput) -> None:
        #: the changes this run takes, decided now (see ``workflows.patches``)
        self._patches = Patches()
        self._input = start
        self._state = OnboardingState.first(
            start.onboarding_id, start.reseller, start.request, start.created_at or workflow.now()
        )
        #: First verdict per hosted session (a webhook or a poll); later ones are duplicates.
        self._verdicts: dict[str, KycResult] = {}
        #: The session number a requested KYC restart will start; None while none is asked for.
        self._restart_for: int | None = None
        #: Creating steps in flight: compensation waits for them, so nothing they create is missed.
        self._in_flight: set[asyncio.Task[Any]] = set()
        #: Status changes not yet delivered to the reseller's callback URL.
        self._callbacks = CallbackOutbox(
            start.request.callback_url, start.onboarding_id, Callbacks.deliver_callback
        )
        #: set by the ``agent_capacity_freed`` signal while waiting for an agent-platform slot
        self._capacity_freed = False
        #: whether the agent step began: before it, compensation has nothing at the agent platform
        self._reached_agent_step = False

    @workflow.run
    async def run(self, start: OnboardingInput) -> OnboardingState:
        """Run the onboarding to a terminal status, then let its last status callbacks go out."""
        workflow.metric_meter().create_counter("onboarding_started", "onboardings started").add(1)
        try:
            state = await self._onboard(start)
        except (FailureError, asyncio.CancelledError):
            await self._callbacks.delivered()
            raise
        await self._callbacks.delivered()
        return state

    async def _onboard(self, start: OnboardingInput) -> OnboardingState:
        try:
            # stored already when the API or a batch started it
            await self._set_status("creating_sub_account", write=not self._starter_wrote_first_status())
            await self._create_sub_account()
            if start.request.kyc_mode == "customer_use" and not await self._pass_kyc():
                return self._state
            await self._set_status("unblocking_calls")
            await self._unblock_calls()
            if start.request.numbers.provider == "carrier":
                await self._set_status("buying_numbers")
                await self._buy_carrier_numbers()
                await self._set_status("creating_agent")
                await self._create_agent()
            else:
                await self._set_status("creating_agent")
                agent = await self._create_agent()
                await self._set_status("buying_numbers")
                await self._buy_agent_numbers(agent)
            await self._set_status("completed")
            return self._state
        except asyncio.CancelledError:
            await self._compensate("cancelled")
            raise
        except OnboardingFailed as failure:
            self._state.error = failure.error
            await self._compensate("failed")
            raise ApplicationError(
                failure.error.message, type=failure.error.type, non_retryable=True
            ) from None

    # Messages -------------------------------------------------------------------------------------

    @workflow.query
    def status(self) -> OnboardingState:
        """The live status document."""
        return self._state

    @workflow.signal
    def kyc_result(self, result: KycResult) -> None:
        """A KYC verdict from the provider's webhook; duplicates and later verdicts are ignored."""
        self._verdicts.setdefault(result.session_id, result)

    @workflow.signal
    def kyc_progress(self, progress: KycProgress) -> None:
        """The customer moved on in the current session (opened the link, submitted documents): kept in
        the status document (the API's KYC relay writes it into the stored one as it signals; the next
        mirror carries it too); the onboarding does not move and no command is issued. Stale, repeated and
        backward events are ignored."""
        self._state.take_progress(
            progress.session_id, progress.event, progress.occurred_at, progress.documents
        )

    @workflow.signal(name=AGENT_CAPACITY_FREED)
    def agent_capacity_freed(self) -> None:
        """An agent-platform slot was given back or an account added: look for a slot again now."""
        self._capacity_freed = True

    @workflow.update
    async def restart_kyc(self, request: KycRestartRequest) -> OnboardingState:
        """Start a new hosted KYC session after a rejection; answers once the session exists.

        A repeated request (a client retrying after a lost answer) joins the restart under way.
        """
        if self._restart_for is None:
            self._restart_for = self._state.kyc.sessions_started + 1
        wanted = self._restart_for
        await workflow.wait_condition(
            lambda: self._state.kyc.sessions_started >= wanted or self._state.is_terminal
        )
        if self._state.kyc.sessions_started < wanted:
            raise ApplicationError(
                f"the onboarding ended ({self._state.status}) before a new KYC session started",
                type="onboarding_ended",
            )
        return self._state

    @restart_kyc.validator
    def _validate_restart(self, request: KycRestartRequest) -> None:
        if self._restart_for is not None:
            return
        if not self._rejected():
            raise ValueError(f"KYC can only be restarted after a rejection; status is {self._state.status}")
        if self._state.kyc.sessions_started >= self._input.policy.max_kyc_sessions:
            raise ValueError("no KYC sessions left for this onboarding")

    def _rejected(self) -> bool:
        """KYC was rejected in the current session: the status says so, or the verdict has just arrived
        (a restart can reach the workflow in the same task as the rejection, before the status moves)."""
        if self._state.status == "kyc_rejected":
            return True
        verdict = self._verdicts.get(self._state.kyc.session_id or "")
        return self._state.status == "awaiting_kyc" and verdict is not None and verdict.outcome == "rejected"

    # Steps ----------------------------------------------------------------------------------------

    async def _create_sub_account(self) -> None:
        request = self._input.request
        self._state.sub_account_id = await self._provision(
            Provisioning.create_sub_account,
            CreateSubAccount(
                onboarding_id=self._state.id,
                email=request.email,
                kyc_mode=request.kyc_mode,
                business_type=request.business_type,
                may_repeat=self._after_reset(),
            ),
            summary="create carrier sub-account",
        )
        if not self._patches.taken(UPSERT_PER_STATUS_CHANGE):
            workflow.upsert_search_attributes([attrs.SUB_ACCOUNT_ID.value_set(self._state.sub_account_id)])

    async def _pass_kyc(self) -> bool:
        """Hosted KYC until approved (True), or compensate and end (False) on expiry or final rejection."""
        policy = self._input.policy
        while True:
            await self._set_status("starting_kyc")
            session = await self._start_kyc_session()
            self._restart_for = None
            await self._set_status("awaiting_kyc")
            outcome = await self._await_verdict(session)
            self._state.kyc.status = outcome
            if outcome == "approved":
                return True
            if outcome == "expired":
                await self._compensate("kyc_expired")
                return False
            if self._state.kyc.sessions_started >= policy.max_kyc_sessions:
                raise OnboardingFailed(
                    ErrorInfo(type="kyc_rejected", message="KYC was rejected in every allowed session")
                )
            self._state.kyc.restart_by = workflow.now() + timedelta(seconds=policy.kyc_rejected_grace_s)
            await self._set_status("kyc_rejected")
            if not await self._wait(lambda: self._restart_for is not None, policy.kyc_rejected_grace_s):
                raise OnboardingFailed(
                    ErrorInfo(
                        type="kyc_rejected", message="KYC was rejected and no new session was requested"
                    )
                )

    async def _start_kyc_session(self) -> KycSessionStarted:
        """Start the next hosted session (one of the sessions allowed)."""
        attempt = self._state.kyc.sessions_started + 1
        request = self._input.request
        session = await self._open_kyc_session(attempt, request.kyc_expires_in_days, "start")
        self._state.kyc = KycInfo(
            session_id=session.session_id,
            url=session.url,
            status="pending",
            expires_at=session.expires_at,
            sessions_started=attempt,
            flow=request.kyc_flow,
            sessions_allowed=self._input.policy.max_kyc_sessions,
            documents_required=REQUIRED_DOCUMENTS[request.business_type],
        )
        return session

    async def _renew_kyc_session(self, current: KycSessionStarted) -> KycSessionStarted:
        """A fresh session replacing ``current``, so the provider mails the link again: it keeps the
        deadline the reseller was given and is not counted against the sessions allowed."""
        kyc = self._state.kyc
        days = max(1, math.ceil((current.expires_at - workflow.now()).total_seconds() / 86400))
        fresh = await self._open_kyc_session(kyc.sessions_started, days, "renew")
        session = fresh.model_copy(update={"expires_at": current.expires_at})
        self._state.kyc = kyc.model_copy(
            update={
                "session_id": session.session_id,
                "url": session.url,
                "progress": None,
                "progress_at": None,
            }
        )
        return session

    async def _open_kyc_session(self, attempt: int, days: int, verb: str) -> KycSessionStarted:
        request = self._input.request
        opened: KycSessionStarted = await self._provider_step(
            Provisioning.start_kyc_session,
            StartKycSession(
                onboarding_id=self._state.id,
                sub_account_id=self._sub_account_id(),
                attempt=attempt,
                webhook_url=self._input.webhook_url,
                expires_in_days=days,
                flow=request.kyc_flow,
                customer_email=request.email,
                redirect_url=request.kyc_redirect_url,
            ),
            summary=f"{verb} hosted KYC session {attempt} ({request.kyc_flow})",
        )
        return opened

    async def _await_verdict(self, session: KycSessionStarted) -> Verdict:
        """Wait for the webhook's verdict until the session expires, polling in case one is lost and
        reminding the reseller (and customer) on the policy's schedule."""
        reminders = self._reminder_times(session)
        while session.session_id not in self._verdicts:
            remaining = (session.expires_at - workflow.now()).total_seconds()
            timeout = max(1.0, min(self._input.policy.kyc_poll_interval_s, remaining))
            if reminders:
                timeout = max(1.0, min(timeout, (reminders[0] - workflow.now()).total_seconds()))
            if await self._wait(self._has_verdict(session.session_id), timeout):
                break
            if reminders and workflow.now() >= reminders[0]:
                reminders.pop(0)
                session = await self._remind(session)
                continue
            polled: KycResult | None = await self._provider_step(
                Provisioning.check_kyc_session,
                CheckKycSession(sub_account_id=self._sub_account_id(), session_id=session.session_id),
                summary="poll KYC session",
            )
            if polled is not None:
                self.kyc_result(polled)
            elif workflow.now() >= session.expires_at:
                return "expired"
        return self._verdicts[session.session_id].outcome

    def _has_verdict(self, session_id: str) -> Callable[[], bool]:
        return lambda: session_id in self._verdicts

    def _reminder_times(self, session: KycSessionStarted) -> list[datetime]:
        """When to remind about ``session``: the policy's offsets before its expiry still ahead, soonest
        first (none for onboardings started before reminders existed)."""
        if not self._patches.taken(KYC_REMINDERS):
            return []
        now = workflow.now()
        times = {session.expires_at - timedelta(seconds=s) for s in self._input.policy.kyc_reminders_before_s}
        return sorted(t for t in times if t > now)

    async def _remind(self, session: KycSessionStarted) -> KycSessionStarted:
        """Send an ``onboarding.kyc_reminder`` callback. In the email flow, while the customer has not
        opened the link, a fresh session first mails it again: the provider allows one active session,
        and a new one revokes the old, so nothing the customer started is lost."""
        kyc = self._state.kyc
        if kyc.flow == "email" and kyc.progress is None:
            session = await self._renew_kyc_session(session)
        self._state.kyc.reminders_sent += 1
        self._queue_callback(KYC_REMINDER)
        await self._mirror()
        return session

    async def _unblock_calls(self) -> None:
        await self._call(
            workflow.execute_activity_method(
                Provisioning.unblock_calls,
                self._sub_account_id(),
                start_to_close_timeout=timedelta(seconds=self._input.policy.step_timeout_s),
                schedule_to_close_timeout=timedelta(days=1),
                retry_policy=_UNBLOCK_RETRY,
                summary="unblock calls",
            )
        )

    async def _buy_carrier_numbers(self) -> None:
        wanted = self._input.request.numbers
        tried: list[str] = []
        for _ in range(_NUMBER_ROUNDS):
            missing = wanted.count - len(self._state.numbers)
            candidates: list[str] = await self._provider_step(
                Provisioning.pick_numbers,
                PickNumbers(
                    country=wanted.country, count=missing, exclude=tried, onboarding_id=self._state.id
                ),
                summary="pick numbers from inventory",
            )
            for number in candidates:
                tried.append(number)
                bought = await self._provision(
                    Provisioning.purchase_number,
                    PurchaseNumber(
                        onboarding_id=self._state.id,
                        sub_account_id=self._sub_account_id(),
                        number=number,
                        may_repeat=self._after_reset(),
                    ),
                    summary=f"buy {number}",
                )
                if bought:
                    self._state.numbers.append(number)
                    # the number that completes them is written with the next status, in this task
                    last = len(self._state.numbers) == wanted.count and self._patches.fewer_writes
                    await self._set_status("buying_numbers", write=not last)
            if len(self._state.numbers) == wanted.count:
                return
        raise OnboardingFailed(
            ErrorInfo(type="numbers_unavailable", message=f"not enough numbers available in {wanted.country}")
        )

    async def _create_agent(self) -> AgentCreated:
        """Create the agent-platform sub-account and agent in the account whose slot the onboarding
        takes; an account the platform says is full is left for the next one with room."""
        self._reached_agent_step = True
        account = await self._take_agent_slot() if self._patches.taken(AGENT_CAPACITY) else None
        while True:
            try:
                created: AgentCreated = await self._provision(
                    Provisioning.create_agent,
                    CreateAgent(
                        onboarding_id=self._state.id,
                        sub_account_id=self._sub_account_id(),
                        agent=self._input.request.agent,
                        may_repeat=self._after_reset(),
                        agent_account=account,
                    ),
                    summary="create agent" if account is None else f"create agent in account {account}",
                )
            except OnboardingFailed as failure:
                if account is None or failure.error.type != ACCOUNT_FULL:
                    raise
                account = await self._take_agent_slot()
                continue
            self._state.agent_id = created.agent_id
            return created

    async def _take_agent_slot(self) -> str:
        """A sub-account slot in an agent-platform master account with room; while every one is full,
        wait in ``awaiting_agent_capacity`` until a slot frees or an account is added (a signal), looking
        again every ``agent_capacity_recheck_s`` in case a signal was missed."""
        while True:
            self._capacity_freed = False
            taken: AgentSlotTaken | None = await self._provision(
                Capacity.take_agent_slot,
                TakeAgentSlot(onboarding_id=self._state.id),
                summary="take an agent-platform slot",
            )
            if taken is not None:
                self._state.agent_account = taken.account
                if self._state.status != "creating_agent":
                    await self._set_status("creating_agent")
                return taken.account
            if self._state.status != "awaiting_agent_capacity":
                workflow.logger.warning("every agent-platform account is full: waiting for a slot")
                workflow.metric_meter().create_counter(
                    "onboarding_agent_capacity_waits", "onboardings that began waiting for an agent slot"
                ).add(1)
                await self._set_status("awaiting_agent_capacity")
                # a slot given back before the status was stored woke nobody (the waiting are found by
                # their stored status): look once more now that a release will find this onboarding
                continue
            recheck = self._input.policy.agent_capacity_recheck_s
            await self._wait(lambda: self._capacity_freed, recheck)

    async def _buy_agent_numbers(self, agent: AgentCreated) -> None:
        wanted = self._input.request.numbers
        self._state.numbers = await self._provision(
            Provisioning.buy_agent_numbers,
            BuyAgentNumbers(
                agent_sub_account_id=agent.agent_sub_account_id,
                agent_id=agent.agent_id,
                country=wanted.country,
                count=wanted.count,
                agent_account=self._state.agent_account,
            ),
            summary=f"buy {wanted.count} agent-platform number(s) in {wanted.country}",
        )

    async def _compensate(self, outcome: OnboardingStatus) -> None:
        """Undo everything in reverse (agent, numbers, sub-account), then record ``outcome``."""
        await self._set_status("cancelling")
        for task in list(self._in_flight):
            await workflow.wait([task])
        target = CleanUp(
            onboarding_id=self._state.id,
            sub_account_id=self._state.sub_account_id,
            agent_account=self._state.agent_account,
            reached_agent_step=self._reached_agent_step,
        )
        try:
            await self._cleanup_step(Cleanup.delete_agent_resources, target, "delete agent")
            await self._release_carrier_numbers(target)
            await self._cleanup_step(Cleanup.delete_sub_account, target, "disable and delete sub-account")
        except ActivityError as failure:
            stopped = isinstance(failure.cause, CancelledError)
            if stopped or not self._patches.taken(CLEANUP_FAILURE_ENDS_FAILED):
                raise
            await self._cleanup_failed(failure)
        if outcome != "failed":
            self._state.error = None
        self._state.numbers = []
        self._state.agent_id = None
        self._state.agent_account = None
        await self._set_status(outcome)

    async def _release_carrier_numbers(self, target: CleanUp) -> None:
        """Release the carrier numbers, waiting out any number's cool-off (visible in the document)."""

        async def release() -> NumbersReleased | None:
            return await self._cleanup_step(Cleanup.release_numbers, target, "release numbers")

        async def waiting(until: datetime) -> None:
            self._state.cool_off_until = until
            await self._set_status("cancelling")

        await release_carrier_numbers(release, waiting)
        self._state.cool_off_until = None

    async def _cleanup_step(self, step: Callable[..., Awaitable[T]], target: CleanUp, summary: str) -> T:
        """A compensation step: retried until the policy's cleanup deadline (a day by default)."""
        deadline = timedelta(seconds=self._input.policy.cleanup_deadline_s)
        return await self._activity(step, target, summary=summary, deadline=deadline)

    async def _cleanup_failed(self, failure: ActivityError) -> NoReturn:
        """A cleanup step failed for good: end ``failed`` for an operator, saying what may be left."""
        cause = failure.cause.message if isinstance(failure.cause, FailureError) else str(failure)
        first = "" if self._state.error is None else f"{self._state.error.message}; then "
        self._state.error = ErrorInfo(type="cleanup_failed", message=f"{first}cleaning up failed: {cause}")
        await self._set_status("failed")
        raise ApplicationError(self._state.error.message, type="cleanup_failed", non_retryable=True)

    # Reseller callbacks ---------------------------------------------------------------------------

    def _queue_callback(self, event_type: str = STATUS_CHANGED) -> None:
        """Queue the current status document for the reseller's callback URL, if it gave one, as an event
        of ``event_type`` happening now."""
        self._callbacks.queue(self._state, event_type)

    # Plumbing -------------------------------------------------------------------------------------

    def _activity(
        self, activity: Callable[..., Awaitable[T]], arg: Any, *, summary: str, deadline: timedelta
    ) -> Awaitable[T]:
        """A provider activity with the standard timeout and retries, retried until ``deadline``."""
        return provider_activity(activity, arg, policy=self._input.policy, summary=summary, deadline=deadline)

    async def _provider_step(self, activity: Callable[..., Awaitable[T]], arg: Any, *, summary: str) -> T:
        """Run a provider activity; a final failure fails the onboarding."""
        return await self._call(self._activity(activity, arg, summary=summary, deadline=_STEP_DEADLINE))

    async def _provision(self, activity: Callable[..., Awaitable[T]], arg: Any, *, summary: str) -> T:
        """A creating step: shielded from cancellation so its outcome is known before compensating."""
        task = asyncio.ensure_future(self._provider_step(activity, arg, summary=summary))
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        return await asyncio.shield(task)

    async def _call(self, pending: Awaitable[T]) -> T:
        """Await an activity; a final failure becomes :class:`OnboardingFailed`."""
        try:
            return await pending
        except ActivityError as failure:
            if isinstance(failure.cause, CancelledError):
                raise asyncio.CancelledError() from None
            self._fail(failure)

    def _fail(self, failure: ActivityError) -> NoReturn:
        cause = failure.cause
        if isinstance(cause, ApplicationError):
            raise OnboardingFailed(ErrorInfo(type=cause.type or "step_failed", message=cause.message))
        raise OnboardingFailed(ErrorInfo(type="step_failed", message=str(cause or failure)))

    async def _wait(self, condition: Callable[[], bool], timeout_s: float) -> bool:
        """Wait for ``condition`` with a durable timer; False on timeout."""
        try:
            await workflow.wait_condition(condition, timeout=timedelta(seconds=timeout_s))
        except TimeoutError:
            return False
        return True

    def _after_reset(self) -> bool:
        """Whether this run follows a reset, so a first attempt of a creating step may follow an attempt of
        an earlier run whose answer was lost."""
        info = workflow.info()
        return info.run_id != info.first_execution_run_id

    def _sub_account_id(self) -> str:
        if self._state.sub_account_id is None:
            raise ApplicationError("no sub-account yet", non_retryable=True)
        return self._state.sub_account_id

    async def _set_status(self, status: OnboardingStatus, *, write: bool = True) -> None:
        """Record a step: the query answer, the search attributes, the reseller's callback and (unless
        ``write`` is False) the database mirror."""
        self._state.status = status
        self._state.updated_at = workflow.now()
        self._index()
        if status in TERMINAL_STATUSES:
            workflow.metric_meter().create_counter(
                "onboarding_completed", "onboardings ended, by outcome"
            ).add(1, {"outcome": status})
        self._queue_callback()
        if write:
            await self._mirror()

    def _starter_wrote_first_status(self) -> bool:
        return self._input.recorded and self._patches.fewer_writes

    def _index(self) -> None:
        """Upsert the search attributes once the status moves, those that change only, in one command."""
        updates = [
            attrs.ONBOARDING_STATUS.value_set(self._state.status),
            attrs.KYC_STATUS.value_set(self._state.kyc.status),
        ]
        if not self._patches.taken(UPSERT_PER_STATUS_CHANGE):
            workflow.upsert_search_attributes(updates)
            return
        indexed = workflow.info().typed_search_attributes
        if indexed.get(attrs.ONBOARDING_STATUS) == self._state.status:
            return  # set at the start, or again (another number bought)
        if self._state.sub_account_id is not None:
            updates.append(attrs.SUB_ACCOUNT_ID.value_set(self._state.sub_account_id))
        workflow.upsert_search_attributes([u for u in updates if indexed.get(u.key) != u.value])

    async def _mirror(self) -> None:
        """Copy the status document into the database."""
        await self._call(mirror_state(MirrorState(state=self._state, request=self._input.request)))
