"""Async client of the agent platform (AgentPhone): sub-accounts, AI voice agents and their numbers.

The master key authenticates every call; ``X-Sub-Account-Id`` targets one sub-account. Lists are read
page by page with ``limit``/``offset``, :data:`PAGE_SIZE` at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

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
    NumberAttach,
    NumberCreate,
    Page,
)
from providers.errors import Conflict, LimitReached
from providers.http import ProviderApi, found_on_second_read, hidden_secret, segment

#: the official SDK's default page size, so the platform is known to accept it
PAGE_SIZE = 20

T = TypeVar("T")


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

    def _hide(self) -> Mapping[str, str]:
        return hidden_secret(self._api_key, "<api key>")

    async def _every(self, model: type[Page[T]], path: str, sub_account_id: str) -> list[T]:
        """Every item of a paged list of the sub-account (``hasMore`` if given, else ``total``)."""
        found: list[T] = []
        while True:
            params = {"limit": PAGE_SIZE, "offset": len(found)}
            page = await self._call(model, "GET", path, params=params, headers=_scoped(sub_account_id))
            found.extend(page.data)
            more = page.has_more if page.has_more is not None else len(found) < page.total
            if not page.data or not more:
                return found

    # sub-accounts

    async def create_sub_account(
        self, body: AgentSubAccountCreate, idempotency_key: str | None = None
    ) -> AgentSubAccount:
        """Create a sub-account; LimitReached once the master account has its 25.

        The limit's status is not published: the only 409 this call meets is the limit, whatever its body.
        """
        try:
            return await self._call(
                AgentSubAccount, "POST", "/sub-accounts", body=body, idempotency_key=idempotency_key
            )
        except Conflict as error:
            raise LimitReached(error.message, status_code=error.status_code, field=error.field) from None

    async def list_sub_accounts(self) -> list[AgentSubAccount]:
        """Every sub-account of the master account (the list has no paging fields: a short page ends it)."""
        found: list[AgentSubAccount] = []
        while True:
            params = {"limit": PAGE_SIZE, "offset": len(found)}
            page = await self._call(DataList[AgentSubAccount], "GET", "/sub-accounts", params=params)
            found.extend(page.data)
            if len(page.data) < PAGE_SIZE:
                return found

    async def find_sub_account_by_name(self, name: str) -> AgentSubAccount | None:
        """The first sub-account named ``name``, or ``None``."""

        async def read() -> AgentSubAccount | None:
            return next((sub for sub in await self.list_sub_accounts() if sub.name == name), None)

        return await found_on_second_read(read)

    async def rename_sub_account(self, sub_account_id: str, name: str) -> AgentSubAccount:
        """Rename a sub-account."""
        return await self._call(
            AgentSubAccount,
            "PATCH",
            f"/sub-accounts/{segment(sub_account_id)}",
            body=AgentSubAccountCreate(name=name),
        )

    async def delete_sub_account(self, sub_account_id: str) -> None:
        """Delete a sub-account (NotFound if already gone)."""
        await self._send("DELETE", f"/sub-accounts/{segment(sub_account_id)}")

    # agents

    async def create_agent(
        self, sub_account_id: str, body: AgentCreate, idempotency_key: str | None = None
    ) -> Agent:
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
        """Every agent of the sub-account."""
        return await self._every(Page[Agent], "/agents", sub_account_id)

    async def get_agent(self, sub_account_id: str, agent_id: str) -> Agent:
        """One agent with its attached numbers (NotFound if gone)."""
        return await self._call(Agent, "GET", f"/agents/{segment(agent_id)}", headers=_scoped(sub_account_id))

    async def delete_agent(self, sub_account_id: str, agent_id: str) -> None:
        """Delete an agent (NotFound if already gone)."""
        await self._send("DELETE", f"/agents/{segment(agent_id)}", headers=_scoped(sub_account_id))

    async def attach_number(self, sub_account_id: str, agent_id: str, number_id: str) -> None:
        """Attach one of the sub-account's numbers to the agent."""
        await self._send(
            "POST",
            f"/agents/{segment(agent_id)}/numbers",
            body=NumberAttach(number_id=number_id),
            headers=_scoped(sub_account_id),
        )

    async def detach_number(self, sub_account_id: str, agent_id: str, number_id: str) -> None:
        """Detach a number from the agent; it stays in the sub-account."""
        await self._send(
            "DELETE",
            f"/agents/{segment(agent_id)}/numbers/{segment(number_id)}",
            headers=_scoped(sub_account_id),
        )

    # numbers

    async def buy_number(
        self, sub_account_id: str, body: NumberCreate, idempotency_key: str | None = None
    ) -> AgentNumber:
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
        """Every number of the sub-account."""
        return await self._every(Page[AgentNumber], "/numbers", sub_account_id)

    async def release_number(self, sub_account_id: str, number_id: str) -> None:
        """Release a number, irreversibly (NotFound if already gone)."""
        await self._send("DELETE", f"/numbers/{segment(number_id)}", headers=_scoped(sub_account_id))
