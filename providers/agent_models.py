"""Wire models of the agent platform (AgentPhone-style): sub-accounts, numbers, agents (camelCase wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class CamelModel(BaseModel):
    """Python names in code, camelCase on the wire; tolerant of fields added later."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


class AgentSubAccountCreate(CamelModel):
    """Body of ``POST /v1/sub-accounts``."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)


class AgentSubAccount(CamelModel):
    """A sub-account on the agent platform."""

    id: str
    name: str
    created_at: datetime


class NumberCreate(CamelModel):
    """Body of ``POST /v1/numbers``: buy a number, optionally attached to an agent."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    country: str = Field(pattern=r"^[A-Z]{2}$")
    agent_id: str | None = None


class AgentNumber(CamelModel):
    """A number held by the agent platform in a sub-account."""

    id: str
    phone_number: str
    country: str
    agent_id: str | None = None
    created_at: datetime


class AgentCreate(CamelModel):
    """Body of ``POST /v1/agents``; ``phone_numbers`` (ours) routes carrier numbers to the agent."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")

    name: str = Field(min_length=1, max_length=100)
    voice_mode: Literal["hosted"] = "hosted"
    system_prompt: str = Field(min_length=1, max_length=20_000)
    voice: str | None = None
    phone_numbers: list[str] = Field(default_factory=list)


class Agent(CamelModel):
    """An AI voice agent in a sub-account."""

    id: str
    name: str
    voice_mode: Literal["hosted"]
    system_prompt: str
    voice: str | None = None
    phone_numbers: list[str] = Field(default_factory=list)
    created_at: datetime


T = TypeVar("T")


class DataList(CamelModel, Generic[T]):
    """``{"data": [...]}``, the agent platform's list envelope."""

    data: list[T]
