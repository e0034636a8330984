"""Typed provider clients: the only code that speaks the providers' HTTP.

Importing this package stays cheap and side-effect free (the workflow sandbox imports the wire models
under it): the HTTP clients are only imported when :meth:`Providers.from_settings` runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from config import Settings
    from providers.agents import AgentPlatformClient
    from providers.carrier import CarrierClient
    from providers.http import EventHooks


@dataclass
class Providers:
    """Both provider clients sharing one pooled HTTP client; close it with :meth:`aclose`."""

    http: httpx.AsyncClient
    carrier: CarrierClient
    agents: AgentPlatformClient

    @classmethod
    def from_settings(cls, settings: Settings, event_hooks: EventHooks | None = None) -> Providers:
        """Clients for the master accounts configured in ``settings``, observed by ``event_hooks``."""
        from providers.agents import AgentPlatformClient
        from providers.carrier import CarrierClient
        from providers.http import make_http_client

        http = make_http_client(settings, event_hooks)
        return cls(
            http=http,
            carrier=CarrierClient.from_settings(http, settings),
            agents=AgentPlatformClient.from_settings(http, settings),
        )

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self.http.aclose()
