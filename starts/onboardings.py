"""Start one onboarding: claim its reference in the database (idempotently, within the reseller's
quotas), then start its workflow idempotently, so a repeat after a failure or a crash between the two
completes the start and never starts anything twice."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import dataclass

from sqlalchemy.engine import Engine
from temporalio.client import Client
from temporalio.common import (
    Priority,
    SearchAttributePair,
    TypedSearchAttributes,
    WorkflowIDConflictPolicy,
    WorkflowIDReusePolicy,
)
from temporalio.exceptions import WorkflowAlreadyStartedError

from callbacks.destinations import production_refusal
from config import Settings
from domain.onboarding import (
    WORKFLOW_NAME,
    OnboardingInput,
    OnboardingRequest,
    OnboardingState,
    workflow_id_for,
)
from domain.search_attributes import ONBOARDING_REFERENCE, ONBOARDING_STATUS
from store import onboardings
from store.models import utcnow


def callback_refusal(request: OnboardingRequest, settings: Settings) -> str | None:
    """Why ``request``'s callback URL is refused: in production callbacks go over https to public hosts
    only. None when it is acceptable (or absent)."""
    if request.callback_url is None or settings.environment != "production":
        return None
    return production_refusal(request.callback_url)


def draft(owner: str, request: OnboardingRequest) -> OnboardingState:
    """The first status document of a new onboarding, created now."""
    return OnboardingState.first(workflow_id_for(owner, request.reference), owner, request, utcnow())


@dataclass(frozen=True)
class OnboardingStarts:
    """Claims and starts onboardings with ``settings`` (quotas, task queue, policy) on ``engine``."""

    settings: Settings
    engine: Engine

    async def claim(self, owner: str, request: OnboardingRequest) -> tuple[OnboardingState, bool]:
        """The record of ``request``: ``(state, True)`` when claimed now, ``(state, False)`` when the same
        request was claimed before. Raises :class:`~store.onboardings.ReferenceConflict` when the reference
        is taken by another request, :class:`~store.quotas.QuotaExceeded` when a new onboarding does not
        fit the reseller's quotas (a repeated reference never counts)."""
        fingerprint = onboardings.request_fingerprint(request)
        quota = self.settings.quota_for(owner)
        return await asyncio.to_thread(
            onboardings.claim, self.engine, draft(owner, request), fingerprint, quota, request.callback_url
        )

    async def start_workflow(
        self,
        client: Client,
        state: OnboardingState,
        request: OnboardingRequest,
        priority: Priority = Priority.default,
    ) -> None:
        """Start the onboarding's workflow, or find it running; a closed one is left alone (never a second
        run for the same reference). ``priority`` orders its tasks against others' when Temporal has a
        backlog (a batch's rows go after onboardings started one by one)."""
        settings = self.settings
        arg = OnboardingInput(
            onboarding_id=state.id,
            reseller=state.reseller,
            request=request,
            webhook_url=f"{settings.public_base_url.rstrip('/')}/webhooks/kyc",
            policy=settings.onboarding_policy(),
            recorded=True,
            created_at=state.created_at,
        )
        # a closed one raises WorkflowAlreadyStartedError: it ran already, leave it alone
        with contextlib.suppress(WorkflowAlreadyStartedError):
            await client.start_workflow(
                WORKFLOW_NAME,
                arg,
                id=state.id,
                task_queue=settings.task_queue,
                id_conflict_policy=WorkflowIDConflictPolicy.USE_EXISTING,
                id_reuse_policy=WorkflowIDReusePolicy.REJECT_DUPLICATE,
                static_summary=f"Onboarding {request.reference}",
                priority=priority,
                search_attributes=TypedSearchAttributes(
                    [
                        SearchAttributePair(ONBOARDING_REFERENCE, request.reference),
                        SearchAttributePair(ONBOARDING_STATUS, state.status),
                    ]
                ),
            )
