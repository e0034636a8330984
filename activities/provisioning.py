"""The onboarding's creating steps, each safe to repeat after an unknown outcome.

Neither provider publishes idempotency keys, so no step relies on one. A step that may follow an attempt
whose answer was lost (any retry, or any attempt of a workflow run that followed a reset) first looks up
what that attempt made, and never makes it twice:

- the carrier sub-account by its name (the onboarding id);
- a carrier number by the master account's owned numbers, with a claim in our database saying which
  onboarding a number belongs to (taken before the purchase);
- the agent-platform sub-account by the id its slot recorded from the create answer, else by its name
  (the carrier sub-account id);
- the agent by its name in its sub-account, and agent-platform numbers by what that sub-account holds:
  these lists are short (one customer's), so these lookups run on every attempt.
"""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta
from typing import NoReturn

from pydantic import ValidationError
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities.capacity import agent_sub_account_of
from activities.deps import ActivityDeps, agent_client
from activities.errors import ACCOUNT_FULL, provider_call
from activities.models import (
    AgentCreated,
    BuyAgentNumbers,
    CheckKycSession,
    CreateAgent,
    CreateSubAccount,
    KycSessionStarted,
    PickNumbers,
    PurchaseNumber,
    StartKycSession,
)
from domain.onboarding import KycResult
from providers.agent_models import AgentCreate, AgentSubAccountCreate, NumberCreate
from providers.agents import AgentPlatformClient
from providers.carrier_models import OwnedNumber, SubAccountCreate, SubAccountUpdate
from providers.errors import Conflict, LimitReached, NotFound
from providers.kyc_models import KycSessionCreate
from store import agent_capacity, credentials, number_claims, onboardings

#: How many unclaimed inventory numbers to draw from, so concurrent onboardings rarely pick the same.
_CANDIDATE_POOL = 50
#: How many pages of the inventory to look through for them.
_INVENTORY_PAGES = 10


def may_follow_lost_answer(may_repeat: bool) -> bool:
    """Whether an earlier attempt of this step may have made its resource without us hearing the answer:
    any retry, and any attempt in a workflow run that follows a reset (``may_repeat``)."""
    return may_repeat or activity.info().attempt > 1


class Provisioning:
    """Activities that create provider resources for an onboarding."""

    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def create_sub_account(self, step: CreateSubAccount) -> str:
        """Create the carrier sub-account and keep its token encrypted; returns its auth id."""
        carrier = self._deps.providers.carrier
        with provider_call():
            if may_follow_lost_answer(step.may_repeat):
                existing = await carrier.find_sub_account_by_name(step.onboarding_id)
                if existing is not None:
                    # The token is shown only in the lost answer; reads mask it, so none is kept.
                    activity.logger.warning("sub-account made by an earlier attempt; its token is lost")
                    return existing.auth_id
            created = await carrier.create_sub_account(
                SubAccountCreate(
                    name=step.onboarding_id,
                    email=step.email,
                    kyc_mode=step.kyc_mode,
                    business_type=step.business_type,
                )
            )
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
        """Start hosted KYC session number ``attempt`` and link it to the onboarding before returning.

        A repeat after a lost answer opens another session, which revokes the lost one (one active session
        per sub-account): the customer only ever has one link that works.
        """
        carrier = self._deps.providers.carrier
        try:
            body = KycSessionCreate(
                account_auth_id=carrier.auth_id,
                flow_type=step.flow,
                customer_email=step.customer_email if step.flow == "email" else None,
                redirect_url=step.redirect_url if step.flow == "redirect" else None,
                webhook_url=step.webhook_url,
                expires_in_days=step.expires_in_days,
            )
        except ValidationError:  # e.g. a step scheduled by a release that sent no flow's details
            raise ApplicationError(
                f"the KYC session request lacks what the {step.flow} flow needs",
                type="invalid_request",
                non_retryable=True,
            ) from None
        started = datetime.now(UTC)
        with provider_call():
            session = await carrier.start_kyc_session(step.sub_account_id, body)
        # Linked before the customer can see the link, so its webhook always finds the onboarding.
        await asyncio.to_thread(
            onboardings.link_kyc_session, self._deps.engine, step.onboarding_id, session.session_id
        )
        expires_at = session.expires_at or started + timedelta(days=step.expires_in_days)
        return KycSessionStarted(session_id=session.session_id, url=session.widget_url, expires_at=expires_at)

    @activity.defn
    async def check_kyc_session(self, step: CheckKycSession) -> KycResult | None:
        """The session's verdict when the provider has one (used when a webhook may have been lost).

        A revoked session decides nothing: only a newer session of ours revokes one.
        """
        with provider_call():
            verdict = await self._deps.providers.carrier.kyc_verdict(step.sub_account_id, step.session_id)
        if verdict is None or verdict == "revoked":
            return None
        return KycResult(
            event_id=f"poll:{step.session_id}:{verdict}",
            session_id=step.session_id,
            outcome=verdict,
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
        """Up to ``count`` numbers of ``country`` to buy, claimed for the onboarding: first those it already
        claimed and has not tried in this run (bought by a run before a reset), then drawn at random from
        the inventory, leaving out those other onboardings claimed (their purchase is under way: ours would
        be refused). A number is claimed as it is drawn, so onboardings picking at the same moment never
        draw the same one; while others hold claims on the first page, the next pages are looked through.
        """
        engine = self._deps.engine
        claimed = await asyncio.to_thread(number_claims.claimed_by, engine, step.onboarding_id)
        mine = [n for n in claimed if n not in step.exclude][: step.count]
        if len(mine) == step.count:
            return mine
        candidates: dict[str, None] = {}  # in order, once each: a page may repeat a number as others buy
        for number in range(1, _INVENTORY_PAGES + 1):
            with provider_call():
                page = await self._deps.providers.carrier.list_inventory(
                    step.country, per_page=_CANDIDATE_POOL, page=number
                )
            offered = [n.e164 for n in page.items if n.e164 not in step.exclude]
            taken = await asyncio.to_thread(
                number_claims.claimed_by_others, engine, offered, step.onboarding_id
            )
            candidates.update(dict.fromkeys(e164 for e164 in offered if e164 not in taken))
            if len(candidates) >= _CANDIDATE_POOL or len(page.items) < _CANDIDATE_POOL:
                break
        drawn = random.sample(list(candidates), len(candidates))
        if not step.onboarding_id:  # scheduled by a release that claimed at the purchase only
            return mine + drawn[: step.count - len(mine)]
        picked = mine
        for e164 in drawn:
            if len(picked) == step.count:
                break
            if await asyncio.to_thread(number_claims.claim, engine, e164, step.onboarding_id):
                picked.append(e164)
        return picked

    @activity.defn
    async def purchase_number(self, step: PurchaseNumber) -> bool:
        """Buy ``number``, assign it to the sub-account and route it to the trunk group; False when another
        onboarding claimed it or someone else bought it first.

        A bought number is assigned to the sub-account or released again in the same attempt; one left
        between the two (the worker died) is finished by the next attempt, or released by compensation,
        which releases every number the onboarding claimed.
        """
        engine, carrier, e164 = self._deps.engine, self._deps.providers.carrier, step.number
        if not await asyncio.to_thread(number_claims.claim, engine, e164, step.onboarding_id):
            return False
        with provider_call():
            held = await self._owned(e164) if may_follow_lost_answer(step.may_repeat) else None
            if held is None:
                try:
                    await carrier.purchase_number(e164)
                except NotFound:  # not in the inventory: bought by someone else, or by our lost attempt
                    held = await self._owned(e164)
                    if held is None or held.account_id not in (carrier.auth_id, step.sub_account_id):
                        await asyncio.to_thread(number_claims.release, engine, e164, step.onboarding_id)
                        return False
            if held is None or held.account_id != step.sub_account_id:
                try:
                    await carrier.assign_number_to_sub_account(e164, step.sub_account_id)
                except Conflict:
                    await carrier.release_number(e164)
                    raise
            trunk = self._deps.trunk_group_id
            if trunk is not None and (held is None or held.trunk_group_id != trunk):
                await carrier.route_number_to_trunk(e164, trunk)
        return True

    async def _owned(self, e164: str) -> OwnedNumber | None:
        """The number as the master account's owned list shows it (every page); None when not owned."""
        return next((n for n in await self._deps.providers.carrier.owned_numbers() if n.e164 == e164), None)

    @activity.defn
    async def create_agent(self, step: CreateAgent) -> AgentCreated:
        """Create the agent-platform sub-account and the AI voice agent in it (each looked up first), in
        the master account whose slot the onboarding holds. The sub-account's id is recorded in the slot
        as soon as it is known, so a retry addresses it directly instead of finding it by name (a lookup
        that pages through the whole master account, twice when the name is not there).

        The platform's limit answer there (more sub-accounts than our count knew of) records the account
        full and gives the slot back: ``agent_account_full``, and the workflow takes a slot elsewhere.
        """
        agents, engine = agent_client(self._deps, step.agent_account), self._deps.engine
        held = await asyncio.to_thread(agent_capacity.slot_of, engine, step.onboarding_id)
        with provider_call():
            sub_id = await agent_sub_account_of(
                agents, held, step.sub_account_id, without_slot=may_follow_lost_answer(step.may_repeat)
            )
            if sub_id is None:
                sub_id = await self._create_agent_sub_account(agents, step)
            if held is not None and held.sub_account_id is None:
                await asyncio.to_thread(agent_capacity.record_sub_account, engine, step.onboarding_id, sub_id)
            existing = [a for a in await agents.list_agents(sub_id) if a.name == step.agent.name]
            agent = (
                existing[0]
                if existing
                else await agents.create_agent(
                    sub_id,
                    AgentCreate(
                        name=step.agent.name,
                        voice_mode=step.agent.voice_mode,
                        system_prompt=step.agent.system_prompt,
                    ),
                )
            )
        return AgentCreated(agent_sub_account_id=sub_id, agent_id=agent.id)

    async def _create_agent_sub_account(self, agents: AgentPlatformClient, step: CreateAgent) -> str:
        """Make the agent-platform sub-account named after the carrier one, noting in the slot first that a
        create is sent, so a retry whose answer was lost knows to look for it."""
        await asyncio.to_thread(agent_capacity.note_create_sent, self._deps.engine, step.onboarding_id)
        try:
            made = await agents.create_sub_account(AgentSubAccountCreate(name=step.sub_account_id))
        except LimitReached:
            if step.agent_account is None:
                raise
            await self._account_full(step.agent_account, step.onboarding_id)
        return made.id

    async def _account_full(self, account: str, onboarding_id: str) -> NoReturn:
        await asyncio.to_thread(agent_capacity.mark_full, self._deps.engine, account, onboarding_id)
        activity.logger.warning(
            "agent-platform account %s answered its sub-account limit: marked full", account
        )
        raise ApplicationError(
            f"agent-platform account {account} is full", type=ACCOUNT_FULL, non_retryable=True
        )

    @activity.defn
    async def buy_agent_numbers(self, step: BuyAgentNumbers) -> list[str]:
        """Buy agent-platform numbers attached to the agent until the sub-account holds ``count``; returns
        their E.164 numbers. What the sub-account already holds counts, so a repeat buys nothing twice."""
        agents, sub = agent_client(self._deps, step.agent_account), step.agent_sub_account_id
        with provider_call():
            held = await agents.list_numbers(sub)
            for number in held:
                if number.agent_id != step.agent_id:
                    await agents.attach_number(sub, step.agent_id, number.id)
            for _ in range(step.count - len(held)):
                held.append(
                    await agents.buy_number(sub, NumberCreate(country=step.country, agent_id=step.agent_id))
                )
        return [number.phone_number for number in held]
