"""Wire models of the carrier API (Vobiz): sub-accounts and numbers (hosted KYC: providers/kyc_models.py).

Shared by the client (which sends and parses them) and the sandbox (which serves them), so the two
cannot drift apart. Field names are the wire's (docs/provider-api.md); envelopes the provider does not
publish are marked *(ours)*.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    JsonValue,
    SecretStr,
    SerializationInfo,
    field_serializer,
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
#: the provider's default ``rate_limit`` of a new sub-account
DEFAULT_RATE_LIMIT = 1000
#: the longest sub-account name we send *(ours: the carrier publishes no limit; docs/providers.md)*
SUB_ACCOUNT_NAME_MAX = 100


class WireModel(BaseModel):
    """Strict about what we send, tolerant of fields the provider adds later."""

    model_config = ConfigDict(extra="ignore")


def _reveal_when_asked(value: SecretStr | None, info: SerializationInfo) -> str | SecretStr | None:
    """A secret as plain text only when serialising with ``context={"reveal_secrets": True}`` (the
    sandbox answering a create does; nobody else should)."""
    if value is not None and (info.context or {}).get("reveal_secrets"):
        return value.get_secret_value()
    return value


class SubAccountCreate(WireModel):
    """Body of ``POST /accounts/{auth_id}/sub-accounts/``: only ``name`` is required.

    ``customer_use`` without ``email`` is the provider's to refuse (400), not ours: a faithful server
    must see it.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=SUB_ACCOUNT_NAME_MAX)
    email: EmailStr | None = None
    password: SecretStr | None = None
    kyc_mode: KycMode | None = None
    business_type: BusinessType | None = None
    enabled: bool | None = None
    rate_limit: int | None = Field(default=None, ge=1)
    #: the shape is not published: any JSON (ours)
    permissions: JsonValue | None = None
    phone: str | None = Field(default=None, max_length=32)
    description: str | None = Field(default=None, max_length=500)

    @field_serializer("password", when_used="json")
    def _reveal_password(self, value: SecretStr | None) -> str | None:
        return None if value is None else value.get_secret_value()


class SubAccount(WireModel):
    """A carrier sub-account: numeric ``id`` beside the ``auth_id`` (``SA_…``) later calls take.

    ``auth_token`` is real only in the create answer and masked on every read; ``created_at`` is
    *(ours)*: the provider sorts by creation date but does not name the field.
    """

    id: int
    auth_id: str
    auth_token: SecretStr | None = None
    parent_auth_id: str
    name: str
    email: str | None = None
    enabled: bool
    kyc_mode: KycMode
    business_type: BusinessType | None = None
    kyc_calls_blocked: bool
    rate_limit: int = DEFAULT_RATE_LIMIT
    permissions: JsonValue | None = None
    phone: str | None = None
    description: str | None = None
    created_at: datetime | None = None

    @field_serializer("auth_token", when_used="always")
    def _maybe_reveal(self, value: SecretStr | None, info: SerializationInfo) -> str | SecretStr | None:
        return _reveal_when_asked(value, info)


class AuthCredentials(WireModel):
    """Credentials of a new sub-account (the token revealed like :attr:`SubAccount.auth_token`)."""

    auth_id: str
    auth_token: SecretStr

    @field_serializer("auth_token", when_used="always")
    def _maybe_reveal(self, value: SecretStr, info: SerializationInfo) -> str | SecretStr | None:
        return _reveal_when_asked(value, info)


class SubAccountCreated(WireModel):
    """Answer to sub-account creation. The provider also sends console ``tokens`` (JWTs): deliberately
    not modelled, so they are dropped on parsing and never stored or logged."""

    message: str
    sub_account: SubAccount
    auth_credentials: AuthCredentials


class SubAccountUpdate(WireModel):
    """Body of ``PUT /accounts/{auth_id}/sub-accounts/{sub_auth_id}``."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=SUB_ACCOUNT_NAME_MAX)
    enabled: bool | None = None
    kyc_mode: KycMode | None = None


class SubAccountPage(WireModel):
    """One page of ``GET /accounts/{auth_id}/sub-accounts/?page&size``, oldest first.

    The envelope is *(ours)*: the provider names only ``page`` and ``size``.
    """

    items: list[SubAccount]
    page: int
    size: int
    total: int


class Capabilities(WireModel):
    """What a number can do; Vobiz numbers are voice-first."""

    voice: bool = True
    sms: bool = False
    mms: bool = False
    fax: bool = False


class InventoryNumber(WireModel):
    """A number on offer in the inventory (its fields are those of the number shape [skill-N])."""

    e164: str
    country: str
    region: str | None = None
    capabilities: Capabilities = Field(default_factory=Capabilities)
    setup_fee: Decimal | None = None
    monthly_fee: Decimal | None = None
    currency: str | None = None


class InventoryPage(WireModel):
    """Answer of ``GET /Account/{auth_id}/inventory/numbers?country&search&page&per_page``.

    The envelope is *(ours)*: the provider names only the query parameters.
    """

    items: list[InventoryNumber]
    page: int
    per_page: int
    total: int


class NumberPurchase(WireModel):
    """Body of ``POST /Account/{auth_id}/numbers/purchase-from-inventory``."""

    model_config = ConfigDict(extra="forbid")

    e164: str = E164
    currency: str | None = Field(default=None, pattern=r"^[A-Z]{3}$")


class TrunkAssign(WireModel):
    """Body of ``POST /Account/{auth_id}/numbers/{e164}/assign``."""

    model_config = ConfigDict(extra="forbid")

    trunk_group_id: str = Field(min_length=1, max_length=100)


class SubAccountAssign(WireModel):
    """Body of ``POST /account/{auth_id}/numbers/{e164}/assign-subaccount``."""

    model_config = ConfigDict(extra="forbid")

    sub_account_id: str = Field(min_length=1, max_length=40)


class OwnedNumber(WireModel):
    """A number of ``items[]`` of ``GET /Account/{auth_id}/numbers`` [skill-N].

    ``account_id`` is the auth id of the account holding the number: the master account, or the
    ``SA_…`` sub-account it is assigned to *(ours: the provider does not say which id it shows)*.
    """

    id: str
    account_id: str | None = None
    e164: str
    country: str
    region: str | None = None
    capabilities: Capabilities = Field(default_factory=Capabilities)
    status: str
    setup_fee: Decimal | None = None
    monthly_fee: Decimal | None = None
    currency: str | None = None
    application_id: str | None = None
    trunk_group_id: str | None = None
    purchased_at: datetime | None = None
    released_at: datetime | None = None


class OwnedNumberPage(WireModel):
    """Answer of ``GET /Account/{auth_id}/numbers?page&per_page&include_subaccounts``: ``items`` as the
    provider names it, the rest of the envelope *(ours)*."""

    items: list[OwnedNumber]
    page: int
    per_page: int
    total: int
