"""Agent-platform capacity: the slot an onboarding takes before it creates its agent-platform sub-account,
and waking the onboardings that wait for one when a slot frees or an account is added.

The accounting lives in the database (``store.agent_capacity``); the accounts and their keys in the
settings. Workflows only ever see an account's name.
"""

from __future__ import annotations

import asyncio
import logging

from temporalio import activity
from temporalio.client import Client
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError

from activities.deps import ActivityDeps
from activities.models import AgentSlotTaken, TakeAgentSlot
from domain.onboarding import AGENT_CAPACITY_FREED
from providers.agents import AgentPlatformClient
from store import agent_capacity
from store.models import AgentSlot

log = logging.getLogger("capacity")


def sync_accounts(deps: ActivityDeps) -> list[str]:
    """Record the configured accounts and their limit in the database; returns those added since."""
    settings = deps.settings
    names = list(settings.agent_accounts())
    return agent_capacity.sync_accounts(deps.engine, names, settings.agents_sub_account_limit)


async def agent_sub_account_of(
    agents: AgentPlatformClient,
    held: AgentSlot | None,
    name: str | None,
    *,
    without_slot: bool,
) -> str | None:
    """The id of the onboarding's agent-platform sub-account: the one its slot recorded; else the one
    named ``name`` (its carrier sub-account's id) when one may exist unrecorded (a create sent from the
    slot whose answer was lost; without a slot, when ``without_slot`` says so); else None: nothing there.

    The platform has no lookup by name, so a lookup pages through the whole master account: it is only
    done when something may be found."""
    if held is not None and held.sub_account_id is not None:
        return held.sub_account_id
    if not (held.may_hide_sub_account if held is not None else without_slot):
        return None
    found = None if name is None else await agents.find_sub_account_by_name(name)
    return None if found is None else found.id


async def wake_waiting(client: Client, deps: ActivityDeps, why: str) -> int:
    """Signal the onboardings waiting for a slot, longest waiting first, that capacity may be there;
    those that find none go back to waiting. Returns how many were signalled."""
    waiting = await asyncio.to_thread(agent_capacity.waiting, deps.engine)
    woken = 0
    for onboarding_id in waiting:
        try:
            await client.get_workflow_handle(onboarding_id).signal(AGENT_CAPACITY_FREED)
        except RPCError:  # ended meanwhile (cancelled): nothing to wake
            continue
        woken += 1
    if woken:
        log.info("agent capacity: %s, woke %d waiting onboarding(s)", why, woken)
    return woken


async def sync_and_wake(client: Client, deps: ActivityDeps) -> None:
    """At worker start: record the configured accounts; an account added wakes the waiting onboardings."""
    added = await asyncio.to_thread(sync_accounts, deps)
    if added:
        await wake_waiting(client, deps, f"account(s) added: {', '.join(added)}")


class Capacity:
    """Activities that take agent-platform sub-account slots."""

    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps
        self._synced = False

    @activity.defn
    async def take_agent_slot(self, step: TakeAgentSlot) -> AgentSlotTaken | None:
        """A sub-account slot for the onboarding in the first configured account with room (the one it
        holds already, on a repeat); None when every account is full, which is logged for operators."""
        deps = self._deps
        if not self._synced:
            added = await asyncio.to_thread(sync_accounts, deps)
            self._synced = True
            if added:
                await wake_waiting(activity.client(), deps, f"account(s) added: {', '.join(added)}")
        accounts = list(deps.settings.agent_accounts())
        try:
            account = await asyncio.to_thread(agent_capacity.take, deps.engine, step.onboarding_id, accounts)
        except agent_capacity.SlotContention:
            raise ApplicationError(
                "other onboardings kept taking the free agent-platform slots first",
                type="agent_slot_contention",
            ) from None
        if account is None:
            use = await asyncio.to_thread(agent_capacity.usage, deps.engine, accounts)
            shown = ", ".join(f"{u.name} {u.used}/{u.limit}{' full' if u.full_since else ''}" for u in use)
            activity.logger.warning(
                "agent capacity exhausted: onboarding %s waits for an agent-platform slot (%s)",
                step.onboarding_id,
                shown,
            )
            return None
        return AgentSlotTaken(account=account)
