"""What the activities need, built once per worker process: settings, provider clients, database, vault,
callbacks."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Engine

from callbacks.sender import CallbackSender
from config import Settings
from providers import Providers
from store.vault import Vault


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
