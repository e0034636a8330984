"""Async client of the agent platform (AgentPhone-style): sub-accounts, AI voice agents, numbers."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from config import Settings
from providers.agent_models import (
    Agent,
    AgentCreate,
    AgentNumber,
    AgentSubAccount,
    AgentSubAccountCreate,
    DataList,
    NumberCreate,
)
from providers.http import ProviderApi, segment


def _scoped(sub_account_id: str) -> dict[str, str]:
    """The header targeting one sub-account (without it the platform acts on the master account)."""
    return {"X-Sub-Account-Id": sub_account_id}


class AgentPlatformClient(ProviderApi):
    """The master account's view of the agent platform; authenticates with ``Authorization: Bearer``."""

    def __init__(self, http: httpx.AsyncClient, *, base_url: str, api_key: SecretStr) -> None:
        super().__init__(http, base_url=base_url)
        self._api_key = api_key

    @classmethod
    def from_settings(cls, http: httpx.AsyncClient, settings: Settings) -> AgentPlatformClient:
        """The client for the master account configured in ``settings``."""
        return cls(http, base_url=settings.agents_base_url, api_key=settings.agents_api_key)

    def _auth_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._api_key.get_secret_value()}"}

    # sub-accounts

    async def create_sub_account(self, body: AgentSubAccountCreate, idempotency_key: str) -> AgentSubAccount:
        """Create a sub-account (LimitReached beyond the platform's limit)."""
        return await self._call(
            AgentSubAccount, "POST", "/sub-accounts", body=body, idempotency_key=idempotency_key
        )

    async def list_sub_accounts(self) -> list[AgentSubAccount]:
        """Every sub-account of the master account."""
        return (await self._call(DataList[AgentSubAccount], "GET", "/sub-accounts")).data

    async def find_sub_account_by_name(self, name: str) -> AgentSubAccount | None:
        """The first sub-account named ``name``, or ``None``."""
        return next((sub for sub in await self.list_sub_accounts() if sub.name == name), None)

    async def delete_sub_account(self, sub_account_id: str) -> None:
        """Delete a sub-account (NotFound if already gone)."""
        await self._send("DELETE", f"/sub-accounts/{segment(sub_account_id)}")

    # agents

    async def create_agent(self, sub_account_id: str, body: AgentCreate, idempotency_key: str) -> Agent:
        """Create an AI voice agent in the sub-account."""
        return await self._call(
            Agent,
            "POST",
            "/agents",
            body=body,
            idempotency_key=idempotency_key,
            headers=_scoped(sub_account_id),
        )

    async def list_agents(self, sub_account_id: str) -> list[Agent]:
        """The sub-account's agents."""
        return (await self._call(DataList[Agent], "GET", "/agents", headers=_scoped(sub_account_id))).data

    async def delete_agent(self, sub_account_id: str, agent_id: str) -> None:
        """Delete an agent (NotFound if already gone)."""
        await self._send("DELETE", f"/agents/{segment(agent_id)}", headers=_scoped(sub_account_id))

    # numbers

    async def buy_number(self, sub_account_id: str, body: NumberCreate, idempotency_key: str) -> AgentNumber:
        """Buy a number into the sub-account, attached to ``body.agent_id`` if given."""
        return await self._call(
            AgentNumber,
            "POST",
            "/numbers",
            body=body,
            idempotency_key=idempotency_key,
            headers=_scoped(sub_account_id),
        )

    async def list_numbers(self, sub_account_id: str) -> list[AgentNumber]:
        """The sub-account's numbers."""
        return (
            await self._call(DataList[AgentNumber], "GET", "/numbers", headers=_scoped(sub_account_id))
        ).data

    async def release_number(self, sub_account_id: str, number_id: str) -> None:
        """Release a number (NotFound if already gone)."""
        await self._send("DELETE", f"/numbers/{segment(number_id)}", headers=_scoped(sub_account_id))
