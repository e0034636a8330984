"""The onboarding's creating steps, each safe to repeat after an unknown outcome.

Idempotency rule per call is written where the call is made. Keys derive from the onboarding id
(``onboarding-<reference>``) and the step, never from the run id, so a new run or a retried attempt
after a worker crash sends the same key.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.deps import ActivityDeps
from activities.errors import provider_call
from activities.models import (
    AgentCreated,
    CheckKycSession,
    CreateAgent,
    CreateSubAccount,
    KycSessionStarted,
    PickNumbers,
    PurchaseNumber,
    StartKycSession,
)
from providers.agent_models import AgentCreate, AgentSubAccountCreate
from providers.carrier_models import (
    KycSessionCreate,
    NumberAssign,
    NumberPurchase,
    SubAccountCreate,
    SubAccountUpdate,
)
from providers.errors import Conflict
from store import credentials, onboardings
from workflows.models import KycResult

#: How many inventory numbers to draw candidates from, so concurrent onboardings rarely pick the same.
_CANDIDATE_POOL = 50


#: Providers replay an ``Idempotency-Key`` for 24 hours; we rely on half of that.
KEY_TRUSTED_FOR = timedelta(hours=12)


class Provisioning:
    """Activities that create provider resources for an onboarding."""

    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def create_sub_account(self, step: CreateSubAccount) -> str:
        """Create the carrier sub-account and keep its token encrypted; returns its auth id."""
        carrier = self._deps.providers.carrier
        body = SubAccountCreate(
            name=step.onboarding_id,
            email=step.email,
            kyc_mode=step.kyc_mode,
            business_type=step.business_type,
        )
        with provider_call():
            # Idempotency: the key replays the first answer (with its token) for 24 h; past that, the
            # lookup by name (the onboarding id) finds a sub-account created by an earlier attempt. The
            # lookup pages through every sub-account, so it runs only when the key may have expired.
            existing = (
                await carrier.find_sub_account_by_name(step.onboarding_id)
                if _key_may_have_expired(step.onboarding_started_at)
                else None
            )
            created = await carrier.create_sub_account(
                body, idempotency_key=f"{step.onboarding_id}:sub-account"
            )
            if existing is not None and created.sub_account.auth_id != existing.auth_id:
                # The key had expired and the provider made a second one: remove it, keep the first.
                await carrier.delete_sub_account(created.sub_account.auth_id)
                activity.logger.warning("sub-account existed past its idempotency window; token not kept")
                return existing.auth_id
        sub_auth_id = created.sub_account.auth_id
        await asyncio.to_thread(
            credentials.save,
            self._deps.engine,
            self._deps.vault,
            sub_auth_id=sub_auth_id,
            onboarding_id=step.onboarding_id,
            token=created.auth_credentials.auth_token,
        )
        return sub_auth_id

    @activity.defn
    async def start_kyc_session(self, step: StartKycSession) -> KycSessionStarted:
        """Start hosted KYC session number ``attempt`` and link it to the onboarding before returning."""
        body = KycSessionCreate(
            account_auth_id=self._deps.providers.carrier.auth_id,
            flow_type="redirect",
            webhook_url=step.webhook_url,
            expires_in_days=step.expires_in_days,
        )
        with provider_call():
            # Idempotency: one key per session attempt; a retry replays the same session.
            session = await self._deps.providers.carrier.start_kyc_session(
                step.sub_account_id, body, idempotency_key=f"{step.onboarding_id}:kyc:{step.attempt}"
            )
        # Linked before the customer can see the link, so its webhook always finds the onboarding.
        await asyncio.to_thread(
            onboardings.link_kyc_session, self._deps.engine, step.onboarding_id, session.session_id
        )
        return KycSessionStarted(
            session_id=session.session_id, url=session.widget_url, expires_at=session.expires_at
        )

    @activity.defn
    async def check_kyc_session(self, step: CheckKycSession) -> KycResult | None:
        """The session's verdict when the provider has one (used when a webhook may have been lost)."""
        with provider_call():
            session = await self._deps.providers.carrier.get_kyc_session(step.sub_account_id, step.session_id)
        if session.status == "pending":
            return None
        return KycResult(
            event_id=f"poll:{session.session_id}:{session.status}",
            session_id=session.session_id,
            outcome=session.status,
            occurred_at=datetime.now(UTC),
        )

    @activity.defn
    async def unblock_calls(self, sub_account_id: str) -> None:
        """Make sure the sub-account is enabled and its calls are no longer KYC-blocked."""
        carrier = self._deps.providers.carrier
        with provider_call():
            sub_account = await carrier.get_sub_account(sub_account_id)
            if not sub_account.enabled:
                await carrier.update_sub_account(sub_account_id, SubAccountUpdate(enabled=True))
            status = await carrier.get_kyc_status(sub_account_id)
        if status.kyc_calls_blocked:
            # Providers are eventually consistent: the retry policy waits for the block to lift.
            raise ApplicationError("calls are still blocked after KYC approval", type="calls_still_blocked")

    @activity.defn
    async def pick_numbers(self, step: PickNumbers) -> list[str]:
        """Up to ``count`` available numbers of ``country``, drawn at random from a page of the inventory."""
        with provider_call():
            page = await self._deps.providers.carrier.list_inventory(
                step.country, limit=_CANDIDATE_POOL + len(step.exclude)
            )
        candidates = [n.number for n in page.objects if n.number not in step.exclude]
        return random.sample(candidates, min(step.count, len(candidates)))

    @activity.defn
    async def purchase_number(self, step: PurchaseNumber) -> bool:
        """Buy ``number`` into the sub-account; False when someone else bought it first.

        A bought number is always either assigned to the sub-account or released again, so the only
        numbers compensation has to find are the ones assigned to the sub-account.
        """
        carrier = self._deps.providers.carrier
        with provider_call():
            try:
                # Idempotency: a dropped answer is replayed by the key; past the key's window, a 409
                # "not available" is checked against the numbers already assigned to this sub-account.
                await carrier.purchase_number(
                    NumberPurchase(number=step.number),
                    idempotency_key=f"{step.onboarding_id}:purchase:{step.number}",
                )
            except Conflict:
                assigned = await carrier.list_numbers(sub_account_id=step.sub_account_id)
                return any(n.number == step.number for n in assigned.objects)
            try:
                await carrier.assign_number(
                    step.number,
                    NumberAssign(sub_account_id=step.sub_account_id),
                    idempotency_key=f"{step.onboarding_id}:assign:{step.number}",
                )
            except Conflict:
                await carrier.release_number(step.number)
                raise
        return True

    @activity.defn
    async def create_agent(self, step: CreateAgent) -> AgentCreated:
        """Create the agent-platform sub-account and the agent answering the numbers."""
        agents = self._deps.providers.agents
        with provider_call():
            # Lookup before create (the sub-account is named after the carrier sub-account) when the key
            # may have expired, then a key; a young onboarding's key replays whatever an attempt made.
            look_up = _key_may_have_expired(step.onboarding_started_at)
            sub_account = await agents.find_sub_account_by_name(step.sub_account_id) if look_up else None
            if sub_account is None:
                sub_account = await agents.create_sub_account(
                    AgentSubAccountCreate(name=step.sub_account_id),
                    idempotency_key=f"{step.onboarding_id}:agent-sub-account",
                )
            # Lookup before create (by the agent's name in its own sub-account), then a key.
            existing = (
                [a for a in await agents.list_agents(sub_account.id) if a.name == step.agent.name]
                if look_up
                else []
            )
            agent = (
                existing[0]
                if existing
                else await agents.create_agent(
                    sub_account.id,
                    AgentCreate(
                        name=step.agent.name,
                        voice_mode=step.agent.voice_mode,
                        system_prompt=step.agent.system_prompt,
                        phone_numbers=step.numbers,
                    ),
                    idempotency_key=f"{step.onboarding_id}:agent",
                )
            )
        return AgentCreated(agent_sub_account_id=sub_account.id, agent_id=agent.id)


def _key_may_have_expired(onboarding_started_at: datetime | None) -> bool:
    """Whether an earlier attempt of a creating step may be older than its key's replay window.

    Every attempt, whatever started it (a retry hours later, a workflow or activity reset), comes after
    the onboarding began; while the onboarding is younger than :data:`KEY_TRUSTED_FOR`, the provider
    still replays any earlier attempt's answer for the same key, and no lookup is needed.
    """
    if onboarding_started_at is None:
        return True
    return datetime.now(UTC) - onboarding_started_at > KEY_TRUSTED_FOR
