"""Async client of the carrier API (Vobiz): sub-accounts and numbers (hosted KYC: providers/carrier_kyc.py).

Paths and their casing follow the vendor's notes: lowercase ``/accounts/`` for sub-accounts, capital
``/Account/`` for numbers except the lowercase ``/account/…/assign-subaccount``.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx
from pydantic import SecretStr

from config import Settings
from providers.carrier_kyc import CarrierKycMixin
from providers.carrier_models import (
    InventoryPage,
    NumberPurchase,
    OwnedNumber,
    OwnedNumberPage,
    SubAccount,
    SubAccountAssign,
    SubAccountCreate,
    SubAccountCreated,
    SubAccountPage,
    SubAccountUpdate,
    TrunkAssign,
)
from providers.http import ProviderApi, found_on_second_read, hidden_secret, segment

#: page size when paging through a whole list (the provider's maximum ``per_page`` is 100)
PAGE_SIZE = 100


class CarrierClient(CarrierKycMixin, ProviderApi):
    """The master account's view of the carrier; authenticates with ``X-Auth-ID``/``X-Auth-Token``.

    Error messages show ``{auth_id}`` instead of the master account id, and never its token even if the
    provider echoes it.
    """

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

    def _hide(self) -> Mapping[str, str]:
        return {**hidden_secret(self._auth_token, "<auth token>"), self.auth_id: "{auth_id}"}

    @property
    def _sub_accounts(self) -> str:
        return f"/accounts/{segment(self.auth_id)}/sub-accounts/"

    @property
    def _numbers(self) -> str:
        return f"/Account/{segment(self.auth_id)}/numbers"

    def _number(self, e164: str) -> str:
        return f"{self._numbers}/{segment(e164)}"

    def _sub_account_number(self, e164: str) -> str:
        return f"/account/{segment(self.auth_id)}/numbers/{segment(e164)}/assign-subaccount"

    # sub-accounts

    async def create_sub_account(
        self, body: SubAccountCreate, idempotency_key: str | None = None
    ) -> SubAccountCreated:
        """Create a sub-account; the answer is the only one holding its auth token.

        Never retried here: after an unknown outcome, look it up with :meth:`find_sub_account_by_name`.
        """
        return await self._call(
            SubAccountCreated, "POST", self._sub_accounts, body=body, idempotency_key=idempotency_key
        )

    async def list_sub_accounts(self, *, page: int = 1, size: int = PAGE_SIZE) -> SubAccountPage:
        """One page of sub-accounts, oldest first."""
        params = {"page": page, "size": size}
        return await self._call(SubAccountPage, "GET", self._sub_accounts, params=params)

    async def find_sub_account_by_name(self, name: str) -> SubAccount | None:
        """The oldest sub-account named ``name``, paging through the whole list; ``None`` if there is none."""

        async def read() -> SubAccount | None:
            page = 1
            while True:
                found = await self.list_sub_accounts(page=page, size=PAGE_SIZE)
                for sub_account in found.items:
                    if sub_account.name == name:
                        return sub_account
                if len(found.items) < PAGE_SIZE:
                    return None
                page += 1

        return await found_on_second_read(read)

    async def get_sub_account(self, sub_auth_id: str) -> SubAccount:
        """One sub-account (its auth token masked)."""
        return await self._call(SubAccount, "GET", self._sub_accounts + segment(sub_auth_id))

    async def update_sub_account(self, sub_auth_id: str, body: SubAccountUpdate) -> SubAccount:
        """Change name, ``enabled`` or ``kyc_mode``; returns the sub-account as updated."""
        return await self._call(SubAccount, "PUT", self._sub_accounts + segment(sub_auth_id), body=body)

    async def delete_sub_account(self, sub_auth_id: str) -> None:
        """Delete a sub-account and revoke its credentials (NotFound if already gone)."""
        await self._send("DELETE", self._sub_accounts + segment(sub_auth_id))

    # numbers

    async def list_inventory(
        self, country: str, *, per_page: int = PAGE_SIZE, page: int = 1
    ) -> InventoryPage:
        """One page of the numbers on offer in ``country``."""
        path = f"/Account/{segment(self.auth_id)}/inventory/numbers"
        params: dict[str, str | int] = {"country": country, "page": page, "per_page": per_page}
        return await self._call(InventoryPage, "GET", path, params=params)

    async def purchase_number(self, e164: str, idempotency_key: str | None = None) -> OwnedNumber:
        """Buy a number from the inventory into the master account (NotFound when it is not on offer).

        Never retried here: after an unknown outcome, look for it in :meth:`owned_numbers`.
        """
        path = f"{self._numbers}/purchase-from-inventory"
        body = NumberPurchase(e164=e164)
        return await self._call(OwnedNumber, "POST", path, body=body, idempotency_key=idempotency_key)

    async def owned_numbers(self) -> list[OwnedNumber]:
        """Every number the master account and its sub-accounts hold, all pages."""
        numbers: list[OwnedNumber] = []
        page = 1
        while True:
            params = {"page": page, "per_page": PAGE_SIZE}
            found = await self._call(OwnedNumberPage, "GET", self._numbers, params=params)
            numbers.extend(found.items)
            if len(found.items) < PAGE_SIZE:
                return numbers
            page += 1

    async def assign_number_to_sub_account(self, e164: str, sub_auth_id: str) -> None:
        """Hand an owned number to a sub-account."""
        body = SubAccountAssign(sub_account_id=sub_auth_id)
        await self._send("POST", self._sub_account_number(e164), body=body)

    async def unassign_number_from_sub_account(self, e164: str) -> None:
        """Take a number back from its sub-account (CoolOffInEffect after a call in the last 15 days)."""
        await self._send("DELETE", self._sub_account_number(e164))

    async def route_number_to_trunk(self, e164: str, trunk_group_id: str) -> None:
        """Route the number's inbound calls to a SIP trunk group."""
        body = TrunkAssign(trunk_group_id=trunk_group_id)
        await self._send("POST", f"{self._number(e164)}/assign", body=body)

    async def unroute_number_from_trunk(self, e164: str) -> None:
        """Stop routing the number's inbound calls to its SIP trunk group."""
        await self._send("DELETE", f"{self._number(e164)}/assign")

    async def release_number(self, e164: str) -> None:
        """Give a number back to the pool, irreversibly (403 when we do not own it; CoolOffInEffect after a
        call in the last 15 days)."""
        await self._send("DELETE", self._number(e164))
