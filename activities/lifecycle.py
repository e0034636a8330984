"""A completed customer's lifecycle at the providers: suspend (carrier sub-account disabled, agent-platform
numbers detached from their agents) and resume (the same, undone in reverse). Offboarding reuses the
compensation activities (:mod:`activities.cleanup`).

Every step is safe to repeat: disabling a disabled sub-account, detaching a detached number and attaching
an attached one change nothing, and a resource already gone counts as done.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from temporalio import activity

from activities.capacity import agent_sub_account_of
from activities.cleanup import gone_is_fine
from activities.deps import ActivityDeps, agent_client
from activities.errors import provider_call
from activities.models import AgentTarget, CarrierSwitch
from domain.lifecycle import AgentAttachment, AgentAttachments
from providers.carrier_models import SubAccountUpdate
from providers.errors import NotFound
from store import agent_capacity


class Lifecycle:
    """Activities of the customer lifecycle workflow."""

    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def switch_carrier_sub_account(self, step: CarrierSwitch) -> None:
        """``PUT … {enabled}``: disabled, the sub-account makes no API calls and no trunk usage, and keeps
        its numbers."""
        with provider_call():
            await self._deps.providers.carrier.update_sub_account(
                step.sub_account_id, SubAccountUpdate(enabled=step.enabled)
            )

    @activity.defn
    async def agent_attachments(self, step: AgentTarget) -> AgentAttachments:
        """The agent-platform numbers attached to the customer's agents (none: its numbers are the
        carrier's, or it has no agent-platform sub-account)."""
        agents = agent_client(self._deps, step.agent_account)
        held = None
        if step.onboarding_id is not None:
            held = await asyncio.to_thread(agent_capacity.slot_of, self._deps.engine, step.onboarding_id)
        with provider_call():
            sub_id = await agent_sub_account_of(agents, held, step.carrier_sub_account_id, without_slot=True)
            if sub_id is None:
                return AgentAttachments(agent_account=step.agent_account)
            try:
                found_agents = await agents.list_agents(sub_id)
            except NotFound:  # the sub-account is gone
                found_agents = []
            return AgentAttachments(
                agent_account=step.agent_account,
                items=[
                    AgentAttachment(agent_sub_account_id=sub_id, agent_id=agent.id, number_id=number.id)
                    for agent in found_agents
                    for number in agent.numbers
                ],
            )

    @activity.defn
    async def detach_agent_numbers(self, step: AgentAttachments) -> None:
        """Detach each number from its agent: it stays in the sub-account, and no call reaches the agent."""
        await self._each(step, agent_client(self._deps, step.agent_account).detach_number)

    @activity.defn
    async def attach_agent_numbers(self, step: AgentAttachments) -> None:
        """Attach each number to its agent again (an attached one stays so)."""
        await self._each(step, agent_client(self._deps, step.agent_account).attach_number)

    async def _each(self, step: AgentAttachments, call: Callable[[str, str, str], Awaitable[None]]) -> None:
        """``call(sub-account, agent, number)`` for each attachment; one gone already counts as done."""
        with provider_call():
            for item in step.items:
                await gone_is_fine(call(item.agent_sub_account_id, item.agent_id, item.number_id))
