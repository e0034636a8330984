"""What the activities need, built once per worker process: settings, provider clients, database, vault,
callbacks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine
from temporalio.exceptions import ApplicationError

from callbacks.sender import CallbackSender
from config import Settings
from providers import Providers, UnknownAgentAccount
from store.vault import Vault

if TYPE_CHECKING:
    from providers.agents import AgentPlatformClient


@dataclass(frozen=True)
class ActivityDeps:
    """Shared by every activity class of a worker."""

    settings: Settings
    providers: Providers
    engine: Engine
    vault: Vault
    callbacks: CallbackSender
    #: the carrier SIP trunk group new carrier numbers are routed to (None: left unrouted)
    trunk_group_id: str | None = None

    async def aclose(self) -> None:
        """Close the pooled HTTP connections."""
        await self.providers.aclose()
        await self.callbacks.aclose()


def agent_client(deps: ActivityDeps, account: str | None) -> AgentPlatformClient:
    """The client of the agent-platform master account ``account`` (None: ``default``); an account no
    longer configured is retried (an operator may configure it again), never guessed."""
    try:
        return deps.providers.agents_for(account)
    except UnknownAgentAccount:
        raise ApplicationError(
            f"agent-platform account {account} is not configured (ONBOARD_AGENTS_ACCOUNTS)",
            type="agent_account_unknown",
        ) from None
