"""Per-reseller quotas, counted from the onboarding records and checked as a new onboarding is claimed.

What each limit counts, among the reseller's records:

- ``in_flight``: those not in a terminal status;
- ``starts_per_minute``: those created in the last 60 seconds;
- ``agent_slots``: those holding or about to take an agent-platform sub-account. The workflow creates one
  per onboarding (step ``creating_agent``) and only compensation or offboarding deletes it. So every
  record counts except those ``failed``, ``cancelled``, ``kyc_expired`` or ``offboarded``: one in progress
  has its slot reserved, a completed (or suspended, or resumed) one holds it.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from typing import Any, get_args

from sqlalchemy import func, text
from sqlmodel import Session, col, select

from config.quotas import Quota, QuotaName
from domain.onboarding import RESOURCES_REMOVED, TERMINAL_STATUSES, OnboardingStatus
from store.models import OnboardingRecord, as_utc

START_WINDOW = timedelta(seconds=60)
#: onboardings in flight end at no predictable time: try again in a minute
IN_FLIGHT_RETRY_AFTER_S = 60

_STATUSES: tuple[str, ...] = get_args(OnboardingStatus)
_IN_FLIGHT = [status for status in _STATUSES if status not in TERMINAL_STATUSES]
#: compensation and offboarding end there: the agent-platform sub-account is deleted by then
_HOLDING_AGENT_SLOT = [status for status in _STATUSES if status not in RESOURCES_REMOVED]


class QuotaExceeded(Exception):
    """A new onboarding would take the reseller past ``limit`` on ``quota``; ``frees_at``: when the quota
    has room again at the latest, when waiting alone frees it."""

    def __init__(self, quota: QuotaName, limit: int, frees_at: datetime | None = None) -> None:
        super().__init__(f"the {quota} quota is full ({limit})")
        self.quota = quota
        self.limit = limit
        self.frees_at = frees_at

    def retry_after_s(self, now: datetime) -> int | None:
        """Whole seconds (at least 1) until a new onboarding may fit again by waiting alone; None for
        ``agent_slots``, which only an ending onboarding frees."""
        if self.quota == "agent_slots":
            return None
        if self.frees_at is None:
            return IN_FLIGHT_RETRY_AFTER_S
        return max(1, math.ceil((self.frees_at - now).total_seconds()))


def serialise_claims(session: Session, reseller: str) -> None:
    """Make ``reseller``'s claims wait for each other from here until the transaction ends, whichever
    process runs them. PostgreSQL: a transaction-level advisory lock. SQLite needs none: it has one
    writer at a time, and a claim writes its record before it counts."""
    if session.get_bind().dialect.name == "postgresql":
        session.connection().execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:reseller))"), {"reseller": reseller}
        )


def check(session: Session, reseller: str, quota: Quota, now: datetime) -> None:
    """Raise :class:`QuotaExceeded` when the reseller's records, counting the one just added in
    ``session`` (created at ``now``), exceed ``quota``. The limit reported is the one that will stay
    full longest: agent slots, then onboardings in flight, then starts in the last minute."""
    mine = col(OnboardingRecord.reseller) == reseller
    status = col(OnboardingRecord.status)
    if quota.agent_slots and agent_slots_held(session, reseller) > quota.agent_slots:
        raise QuotaExceeded("agent_slots", quota.agent_slots)
    if _count(session, mine, status.in_(_IN_FLIGHT)) > quota.in_flight:
        raise QuotaExceeded("in_flight", quota.in_flight)
    created = col(OnboardingRecord.created_at)
    starts, oldest = session.exec(
        select(func.count(), func.min(created)).where(mine, created > now - START_WINDOW)
    ).one()
    if starts > quota.starts_per_minute:
        raise QuotaExceeded("starts_per_minute", quota.starts_per_minute, as_utc(oldest) + START_WINDOW)


def agent_slots_held(session: Session, reseller: str) -> int:
    """The agent-platform slots ``reseller``'s onboardings hold (completed) or have reserved (in progress)."""
    mine = col(OnboardingRecord.reseller) == reseller
    return _count(session, mine, col(OnboardingRecord.status).in_(_HOLDING_AGENT_SLOT))


def _count(session: Session, *conditions: Any) -> int:
    return session.exec(select(func.count()).select_from(OnboardingRecord).where(*conditions)).one()
