"""Typed provider clients: the only code that speaks the providers' HTTP.

Importing this package stays cheap and side-effect free (the workflow sandbox imports the wire models
under it): the HTTP clients are only imported when :meth:`Providers.from_settings` runs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from config import Settings
    from providers.agents import AgentPlatformClient
    from providers.carrier import CarrierClient
    from providers.http import EventHooks


class UnknownAgentAccount(KeyError):
    """An agent-platform master account that is not configured (``ONBOARD_AGENTS_ACCOUNTS``)."""


@dataclass
class Providers:
    """Both provider clients sharing one pooled HTTP client; close it with :meth:`aclose`.

    ``agents`` is the ``default`` agent-platform master account; ``agent_accounts`` holds a client per
    configured master account by name (``default`` included).
    """

    http: httpx.AsyncClient
    carrier: CarrierClient
    agents: AgentPlatformClient
    agent_accounts: dict[str, AgentPlatformClient] = field(default_factory=dict)

    def agents_for(self, account: str | None) -> AgentPlatformClient:
        """The client of the agent-platform master account named ``account`` (None: ``default``)."""
        if account is None:
            return self.agents
        try:
            return self.agent_accounts[account]
        except KeyError:
            raise UnknownAgentAccount(account) from None

    @classmethod
    def from_settings(cls, settings: Settings, event_hooks: EventHooks | None = None) -> Providers:
        """Clients for the master accounts configured in ``settings``, observed by ``event_hooks``."""
        from providers.agents import AgentPlatformClient
        from providers.carrier import CarrierClient
        from providers.http import make_http_client

        http = make_http_client(settings, event_hooks)
        accounts = {
            name: AgentPlatformClient(http, base_url=settings.agents_base_url, api_key=key)
            for name, key in settings.agent_accounts().items()
        }
        return cls(
            http=http,
            carrier=CarrierClient.from_settings(http, settings),
            agents=AgentPlatformClient.from_settings(http, settings),
            agent_accounts=accounts,
        )

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self.http.aclose()
