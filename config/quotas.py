"""Per-reseller quotas: the limits a reseller's new onboardings are held to, so that one reseller at its
limits never makes another's onboarding fail. Defaults come from ``ONBOARD_QUOTA_*``, overrides per
reseller from ``ONBOARD_RESELLER_QUOTAS``; what each limit counts is in ``store/quotas.py``."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

QuotaName = Literal["in_flight", "starts_per_minute", "agent_slots"]

InFlight = Annotated[int, Field(ge=1, description="onboardings not yet in a terminal status")]
StartsPerMinute = Annotated[int, Field(ge=1, description="onboardings started in the last 60 seconds")]
AgentSlots = Annotated[
    int, Field(ge=0, description="agent-platform sub-accounts held or reserved (0: unlimited)")
]


class Quota(BaseModel):
    """The limits one reseller's starts are checked against."""

    model_config = ConfigDict(frozen=True)

    in_flight: InFlight
    starts_per_minute: StartsPerMinute
    agent_slots: AgentSlots


class QuotaOverride(BaseModel):
    """Some of one reseller's limits, replacing the defaults; an unknown limit is an error."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    in_flight: InFlight | None = None
    starts_per_minute: StartsPerMinute | None = None
    agent_slots: AgentSlots | None = None

    def applied_to(self, quota: Quota) -> Quota:
        """``quota`` with the limits this override sets."""
        return quota.model_copy(update=self.model_dump(exclude_none=True))
