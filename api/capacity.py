"""``GET /ops/agent-capacity``: agent-platform slots per master account, for operators (the operator key)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime

from fastapi import APIRouter, Depends
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from api.auth import operator
from api.errors import error_responses
from api.runtime import Runtime, runtime
from store import agent_capacity


class AccountCapacity(BaseModel):
    """One agent-platform master account's sub-account slots."""

    name: str = Field(description="the account's name (`default`, or one of ONBOARD_AGENTS_ACCOUNTS)")
    used: int = Field(description="slots held by onboardings")
    limit: int = Field(description="sub-accounts the account may hold")
    free: int = Field(description="slots left to take (0 while the platform says the account is full)")
    full_since: datetime | None = Field(description="when the platform answered its limit before our count")
    configured: bool = Field(description="false once the account left the configuration but holds slots")


class AgentCapacityReport(BaseModel):
    """Every account's slots and the onboardings waiting in `awaiting_agent_capacity`."""

    accounts: list[AccountCapacity]
    free: int = Field(description="slots free in the configured accounts")
    awaiting: int = Field(description="onboardings waiting for a slot")


router = APIRouter(prefix="/ops", tags=["operations"], responses=error_responses(401))


@router.get("/agent-capacity", dependencies=[Depends(operator)])
async def agent_capacity_report(rt: Runtime = Depends(runtime)) -> AgentCapacityReport:
    """Agent-platform slots per master account (what `onboard capacity` prints); the operator key only."""
    settings = rt.settings
    seen = await run_in_threadpool(
        agent_capacity.overview, rt.engine, list(settings.agent_accounts()), settings.agents_sub_account_limit
    )
    accounts = [AccountCapacity(**asdict(account), free=account.free) for account in seen.accounts]
    return AgentCapacityReport(accounts=accounts, free=seen.free, awaiting=seen.waiting)
