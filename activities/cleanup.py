"""Compensation: undo an onboarding's provider resources, in reverse order of creation.

Every step looks its resources up (by the id the onboarding's agent slot recorded, by name, or by the
onboarding's number claims), so it also removes what an interrupted attempt created, and treats "already
gone" as done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable

from temporalio import activity

from activities.capacity import agent_sub_account_of, wake_waiting
from activities.deps import ActivityDeps, agent_client
from activities.errors import provider_call
from activities.models import CleanUp, NumbersReleased
from providers.agents import AgentPlatformClient
from providers.carrier import CarrierClient
from providers.carrier_models import SubAccountUpdate
from providers.errors import CoolOffInEffect, InvalidRequest, NotFound
from store import agent_capacity, credentials, number_claims


async def gone_is_fine(call: Awaitable[object]) -> None:
    """Await a delete or release; a resource that no longer exists is already compensated."""
    try:
        await call
    except NotFound:
        return


async def released(carrier: CarrierClient, e164: str) -> None:
    """Release a number we own. The carrier answers a release of a number no longer ours 403: when a try
    whose answer was lost (a dropped answer, then the client's quick retry) already released it, a fresh
    listing no longer has it, and it is released."""
    try:
        await gone_is_fine(carrier.release_number(e164))
    except InvalidRequest as refused:
        if refused.status_code != 403 or any(n.e164 == e164 for n in await carrier.owned_numbers()):
            raise


class Cleanup:
    """Activities that remove what the provisioning steps created."""

    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    async def _carrier_sub_account_id(self, step: CleanUp) -> str | None:
        if step.sub_account_id is not None:
            return step.sub_account_id
        found = await self._deps.providers.carrier.find_sub_account_by_name(step.onboarding_id)
        return None if found is None else found.auth_id

    @activity.defn
    async def delete_agent_resources(self, step: CleanUp) -> None:
        """Delete the agents and numbers of the agent-platform sub-account, then the sub-account, in the
        master account whose slot the onboarding holds; then give the slot back and wake the onboardings
        waiting for one. Whoever deletes an onboarding's agent-platform side (compensation, offboarding)
        frees its slot through here."""
        engine = self._deps.engine
        held = await asyncio.to_thread(agent_capacity.slot_of, engine, step.onboarding_id)
        agents = agent_client(self._deps, step.agent_account if held is None else held.account)
        with provider_call():
            # a slot or the agent step come after the carrier sub-account: its id is known by then
            sub_id = await agent_sub_account_of(
                agents, held, step.sub_account_id, without_slot=step.reached_agent_step
            )
            if sub_id is not None:
                await gone_is_fine(self._delete_agent_sub_account(agents, sub_id))
        freed = await asyncio.to_thread(agent_capacity.release, engine, step.onboarding_id)
        if freed is not None:
            await wake_waiting(activity.client(), self._deps, f"a slot of {freed} freed")

    @staticmethod
    async def _delete_agent_sub_account(agents: AgentPlatformClient, sub_id: str) -> None:
        """Its agents, then its numbers, then the sub-account itself (NotFound: it is gone already)."""
        for agent in await agents.list_agents(sub_id):
            await gone_is_fine(agents.delete_agent(sub_id, agent.id))
        for number in await agents.list_numbers(sub_id):
            await gone_is_fine(agents.release_number(sub_id, number.id))
        await agents.delete_sub_account(sub_id)

    @activity.defn
    async def release_numbers(self, step: CleanUp) -> NumbersReleased:
        """Unassign and release every carrier number the onboarding claimed (bought, or about to be) or
        that is assigned to its sub-account; with ``keep_numbers`` (an offboarding keeping them), unassign
        and unroute them only: they stay the reseller's, in its master account's pool.

        A number that had a call in the last 15 days cannot move before its cool-off ends: the others are
        released, and the answer says until when the workflow must wait before trying again. Meanwhile
        nothing may ring it (a new call would push the cool-off on): it is taken off its trunk and the
        sub-account is disabled, which blocks its calls and keeps its numbers.
        """
        carrier, engine = self._deps.providers.carrier, self._deps.engine
        claimed = await asyncio.to_thread(number_claims.claimed_by, engine, step.onboarding_id)
        if not claimed and step.sub_account_id is None:
            return NumbersReleased()
        waits = []
        with provider_call():
            owned = {n.e164: n for n in await carrier.owned_numbers()}
            if any(e164 not in owned for e164 in claimed):  # a concurrent release may have hidden one
                owned.update({n.e164: n for n in await carrier.owned_numbers()})
            assigned = [e164 for e164, n in owned.items() if n.account_id == step.sub_account_id]
            for e164 in dict.fromkeys([*claimed, *assigned]):
                number = owned.get(e164)
                try:
                    if number is not None and number.account_id not in (None, carrier.auth_id):
                        await gone_is_fine(carrier.unassign_number_from_sub_account(e164))
                    if number is not None and step.keep_numbers:
                        if number.trunk_group_id is not None:  # kept idle in the pool, ringing nobody
                            await gone_is_fine(carrier.unroute_number_from_trunk(e164))
                    elif number is not None:
                        await released(carrier, e164)
                except CoolOffInEffect as cool_off:
                    waits.append(cool_off.cool_off_until)
                    if number is not None and number.trunk_group_id is not None:
                        await gone_is_fine(carrier.unroute_number_from_trunk(e164))
                    continue
                await asyncio.to_thread(number_claims.release, engine, e164, step.onboarding_id)
            if waits and step.sub_account_id is not None:
                disabled = SubAccountUpdate(enabled=False)
                await gone_is_fine(carrier.update_sub_account(step.sub_account_id, disabled))
        return NumbersReleased(cool_off_until=max(waits, default=None))

    @activity.defn
    async def delete_sub_account(self, step: CleanUp) -> None:
        """Disable, then delete the carrier sub-account, and forget its stored token."""
        carrier = self._deps.providers.carrier
        with provider_call():
            carrier_id = await self._carrier_sub_account_id(step)
            if carrier_id is None:
                return
            await gone_is_fine(carrier.update_sub_account(carrier_id, SubAccountUpdate(enabled=False)))
            await gone_is_fine(carrier.delete_sub_account(carrier_id))
        await asyncio.to_thread(credentials.delete, self._deps.engine, carrier_id)
