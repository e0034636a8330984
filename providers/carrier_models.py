"""Wire models of the carrier API (Vobiz-style): sub-accounts, hosted KYC sessions, numbers.

Shared by the client (which sends and parses them) and the sandbox (which serves them), so the two
cannot drift apart. Field names are the wire's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    SecretStr,
    SerializationInfo,
    field_serializer,
    model_validator,
)

KycMode = Literal["personal_use", "customer_use"]
BusinessType = Literal[
    "individual",
    "proprietorship",
    "private_limited",
    "llp",
    "partnership",
    "public_limited",
    "trust",
    "society",
    "huf",
    "government",
]
VerificationState = Literal["not_started", "pending", "verified", "failed"]
E164 = Field(pattern=r"^\+[1-9][0-9]{6,14}$")


class WireModel(BaseModel):
    """Strict about what we send, tolerant of fields the provider adds later."""

    model_config = ConfigDict(extra="ignore")


class SubAccountCreate(WireModel):
    """Body of ``POST /accounts/{auth_id}/sub-accounts/``."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    email: EmailStr | None = None
    password: SecretStr | None = None
    kyc_mode: KycMode = "personal_use"
    business_type: BusinessType | None = None
    enabled: bool = True

    @model_validator(mode="after")
    def _customer_use_needs_email(self) -> Self:
        if self.kyc_mode == "customer_use" and self.email is None:
            raise ValueError("email is required when kyc_mode is customer_use")
        return self

    @field_serializer("password", when_used="json")
    def _reveal_password(self, value: SecretStr | None) -> str | None:
        return None if value is None else value.get_secret_value()


class SubAccount(WireModel):
    """A carrier sub-account as the provider describes it."""

    auth_id: str
    name: str
    enabled: bool
    kyc_mode: KycMode
    business_type: BusinessType | None = None
    kyc_calls_blocked: bool
    created_at: datetime


class AuthCredentials(WireModel):
    """Credentials of a new sub-account; the token is only revealed when serialising with
    ``context={"reveal_secrets": True}`` (the sandbox does, nobody else should)."""

    auth_id: str
    auth_token: SecretStr

    @field_serializer("auth_token", when_used="always")
    def _maybe_reveal(self, value: SecretStr, info: SerializationInfo) -> str | SecretStr:
        context = info.context or {}
        if context.get("reveal_secrets"):
            return value.get_secret_value()
        return value


class SubAccountCreated(WireModel):
    """Answer to sub-account creation."""

    message: str
    sub_account: SubAccount
    auth_credentials: AuthCredentials


class SubAccountUpdate(WireModel):
    """Body of ``PUT /accounts/{auth_id}/sub-accounts/{sub_auth_id}``."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=100)
    enabled: bool | None = None
    kyc_mode: KycMode | None = None


class PageMeta(WireModel):
    """Offset pagination metadata."""

    limit: int
    offset: int
    total_count: int
    next: str | None = None


class SubAccountPage(WireModel):
    """One page of sub-accounts, oldest first."""

    meta: PageMeta
    objects: list[SubAccount]


class InventoryNumber(WireModel):
    """A number the master account may buy."""

    number: str
    country: str
    region: str | None = None
    monthly_rental_rate: str | None = None


class InventoryPage(WireModel):
    """Numbers on offer, filtered by country."""

    meta: PageMeta
    objects: list[InventoryNumber]


class NumberPurchase(WireModel):
    """Body of ``POST /Account/{auth_id}/numbers/purchase-from-inventory``."""

    model_config = ConfigDict(extra="forbid")

    number: str = E164


class NumberAssign(WireModel):
    """Body of ``POST /account/{auth_id}/numbers/{e164}/assign-subaccount`` (ours)."""

    model_config = ConfigDict(extra="forbid")

    sub_account_id: str = Field(min_length=1)


class OwnedNumber(WireModel):
    """A number the master account owns, possibly assigned to one of its sub-accounts."""

    number: str
    country: str
    sub_account_id: str | None = None
    purchased_at: datetime


class OwnedNumberPage(WireModel):
    """Numbers owned by the master account (``GET /Account/{auth_id}/numbers/``, ours)."""

    meta: PageMeta
    objects: list[OwnedNumber]
