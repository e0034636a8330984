"""Async client of the carrier API (Vobiz-style): sub-accounts, hosted KYC sessions, numbers."""

from __future__ import annotations

import httpx
from pydantic import SecretStr

from config import Settings
from providers.carrier_kyc import CarrierKycMixin
from providers.carrier_models import (
    InventoryPage,
    NumberAssign,
    NumberPurchase,
    OwnedNumber,
    OwnedNumberPage,
    SubAccount,
    SubAccountCreate,
    SubAccountCreated,
    SubAccountPage,
    SubAccountUpdate,
)
from providers.http import ProviderApi, segment

#: page size used when searching the sub-account list
LIST_PAGE_SIZE = 100


class CarrierClient(CarrierKycMixin, ProviderApi):
    """The master account's view of the carrier; authenticates with ``X-Auth-ID``/``X-Auth-Token``."""

    def __init__(
        self, http: httpx.AsyncClient, *, base_url: str, auth_id: str, auth_token: SecretStr
    ) -> None:
        super().__init__(http, base_url=base_url)
        self.auth_id = auth_id
        self._auth_token = auth_token

    @classmethod
    def from_settings(cls, http: httpx.AsyncClient, settings: Settings) -> CarrierClient:
        """The client for the master account configured in ``settings``."""
        return cls(
            http,
            base_url=settings.carrier_base_url,
            auth_id=settings.carrier_auth_id,
            auth_token=settings.carrier_auth_token,
        )

    def _auth_headers(self) -> dict[str, str]:
        return {"X-Auth-ID": self.auth_id, "X-Auth-Token": self._auth_token.get_secret_value()}

    @property
    def _sub_accounts(self) -> str:
        return f"/accounts/{segment(self.auth_id)}/sub-accounts/"

    @property
    def _numbers(self) -> str:
        return f"/Account/{segment(self.auth_id)}/numbers/"

    # sub-accounts

    async def create_sub_account(self, body: SubAccountCreate, idempotency_key: str) -> SubAccountCreated:
        """Create a sub-account; the answer holds its credentials."""
        return await self._call(
            SubAccountCreated, "POST", self._sub_accounts, body=body, idempotency_key=idempotency_key
        )

    async def list_sub_accounts(self, limit: int = LIST_PAGE_SIZE, offset: int = 0) -> SubAccountPage:
        """One page of sub-accounts, oldest first."""
        params = {"limit": limit, "offset": offset}
        return await self._call(SubAccountPage, "GET", self._sub_accounts, params=params)

    async def find_sub_account_by_name(self, name: str) -> SubAccount | None:
        """The oldest sub-account named ``name``, paging through the whole list; ``None`` if there is none."""
        offset = 0
        while True:
            page = await self.list_sub_accounts(limit=LIST_PAGE_SIZE, offset=offset)
            for sub_account in page.objects:
                if sub_account.name == name:
                    return sub_account
            offset += len(page.objects)
            if not page.objects or offset >= page.meta.total_count:
                return None

    async def get_sub_account(self, sub_auth_id: str) -> SubAccount:
        """One sub-account."""
        return await self._call(SubAccount, "GET", self._sub_accounts + segment(sub_auth_id))

    async def update_sub_account(self, sub_auth_id: str, body: SubAccountUpdate) -> SubAccount:
        """Change name, ``enabled`` or ``kyc_mode``; returns the sub-account as updated."""
        return await self._call(SubAccount, "PUT", self._sub_accounts + segment(sub_auth_id), body=body)

    async def delete_sub_account(self, sub_auth_id: str) -> None:
        """Delete a sub-account and revoke its credentials (NotFound if already gone)."""
        await self._send("DELETE", self._sub_accounts + segment(sub_auth_id))

    # numbers

    async def list_inventory(self, country: str, limit: int = 20) -> InventoryPage:
        """Numbers on offer in ``country``."""
        path = f"/Account/{segment(self.auth_id)}/inventory/numbers"
        return await self._call(InventoryPage, "GET", path, params={"country": country, "limit": limit})

    async def purchase_number(self, body: NumberPurchase, idempotency_key: str) -> OwnedNumber:
        """Buy a number from the inventory into the master account."""
        path = self._numbers + "purchase-from-inventory"
        return await self._call(OwnedNumber, "POST", path, body=body, idempotency_key=idempotency_key)

    async def list_numbers(self, sub_account_id: str | None = None) -> OwnedNumberPage:
        """Numbers the master account owns, optionally only those assigned to ``sub_account_id`` (ours)."""
        params = {} if sub_account_id is None else {"sub_account_id": sub_account_id}
        return await self._call(OwnedNumberPage, "GET", self._numbers, params=params)

    async def assign_number(self, number: str, body: NumberAssign, idempotency_key: str) -> OwnedNumber:
        """Assign an owned number to a sub-account (Conflict while the sub-account's calls are blocked)."""
        path = f"/account/{segment(self.auth_id)}/numbers/{segment(number)}/assign-subaccount"
        return await self._call(OwnedNumber, "POST", path, body=body, idempotency_key=idempotency_key)

    async def release_number(self, number: str) -> None:
        """Give a number back (NotFound if it is not owned any more)."""
        await self._send("DELETE", self._numbers + segment(number))
