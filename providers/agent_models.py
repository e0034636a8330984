"""Wire models of the agent platform (AgentPhone): sub-accounts, numbers, agents (camelCase on the wire).

Fields follow ``provider-api.md`` and the official SDK's models; answers are parsed leniently (unknown
fields ignored, unpublished ones optional) so the client depends on no more than it must.
"""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """An answer: Python names in code, camelCase on the wire; tolerant of fields added later."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class CamelBody(BaseModel):
    """A request body: camelCase on the wire, unknown fields refused."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


class AgentSubAccountCreate(CamelBody):
    """Body of ``POST /v1/sub-accounts`` and ``PATCH /v1/sub-accounts/{id}``."""

    name: str = Field(min_length=1, max_length=100)


class AgentSubAccount(CamelModel):
    """A sub-account on the agent platform (``createdAt`` is the sandbox's, not published)."""

    id: str
    name: str
    created_at: datetime | None = None


class NumberCreate(CamelBody):
    """Body of ``POST /v1/numbers``: buy a number, attached to ``agent_id`` at once if given."""

    country: str = Field(pattern=r"^[A-Z]{2}$")
    area_code: str | None = Field(default=None, pattern=r"^[0-9]{3}$")
    agent_id: str | None = None
    type: str | None = Field(default=None, min_length=1, max_length=20)
    external_id: str | None = Field(default=None, min_length=1, max_length=200)
    expires_at: datetime | None = None


class AgentNumber(CamelModel):
    """A number the agent platform holds in a sub-account."""

    id: str
    phone_number: str
    country: str
    status: str
    agent_id: str | None = None
    created_at: datetime
    type: str | None = None
    external_id: str | None = None
    expires_at: datetime | None = None


class AgentCreate(CamelBody):
    """Body of ``POST /v1/agents``."""

    name: str = Field(min_length=1, max_length=100)
    description: str | None = Field(default=None, max_length=1_000)
    voice_mode: str = Field(min_length=1, max_length=40)
    model_tier: str | None = Field(default=None, min_length=1, max_length=40)
    system_prompt: str = Field(min_length=1, max_length=20_000)
    begin_message: str | None = Field(default=None, max_length=2_000)
    voice: str | None = Field(default=None, min_length=1, max_length=100)


class AttachedNumber(CamelModel):
    """One of the agent-platform numbers attached to an agent (an item of ``numbers[]``)."""

    id: str
    phone_number: str
    status: str
    type: str | None = None


class Agent(CamelModel):
    """An AI voice agent in a sub-account, with the numbers attached to it."""

    id: str
    name: str
    description: str | None = None
    created_at: datetime
    voice_mode: str | None = None
    model_tier: str | None = None
    system_prompt: str | None = None
    begin_message: str | None = None
    voice: str | None = None
    numbers: list[AttachedNumber] = Field(default_factory=list)


class NumberAttach(CamelBody):
    """Body of ``POST /v1/agents/{id}/numbers``."""

    number_id: str = Field(min_length=1)


T = TypeVar("T")


class DataList(CamelModel, Generic[T]):
    """``{"data": [...]}``: the sub-accounts list (no paging fields are published for it)."""

    data: list[T]


class Page(DataList[T], Generic[T]):
    """``{"data", "hasMore"?, "total"}``: one page of numbers or agents."""

    has_more: bool | None = None
    total: int = Field(ge=0)
