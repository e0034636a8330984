"""How a start refused by a quota is answered: 429 with ``Retry-After`` when waiting frees the quota, 409
when only an onboarding ending does (agent slots). The message names the quota and the reseller's own
limit, nothing about other resellers."""

from __future__ import annotations

import math

from api.errors import ApiError
from api.metrics import QUOTA_REFUSALS
from config.quotas import QuotaName
from store.models import utcnow
from store.quotas import QuotaExceeded

#: onboardings in flight end at no predictable time: ask to come back in a minute
IN_FLIGHT_RETRY_AFTER_S = 60

_COUNTED: dict[QuotaName, str] = {
    "in_flight": "onboardings in progress",
    "starts_per_minute": "onboardings started per minute",
    "agent_slots": "agent-platform sub-accounts, held by completed onboardings and reserved by those in"
    " progress; one frees when an onboarding in progress fails, expires or is cancelled",
}


def quota_refusal(reseller: str, exceeded: QuotaExceeded) -> ApiError:
    """The answer to ``reseller``'s start refused by ``exceeded``, counted in ``api_quota_refusals``."""
    QUOTA_REFUSALS.labels(exceeded.quota, reseller).inc()
    message = f"the {exceeded.quota} quota is full: at most {exceeded.limit} {_COUNTED[exceeded.quota]}"
    if exceeded.quota == "agent_slots":
        return ApiError(409, "quota_exceeded", message)
    retry_after = IN_FLIGHT_RETRY_AFTER_S
    if exceeded.frees_at is not None:
        retry_after = max(1, math.ceil((exceeded.frees_at - utcnow()).total_seconds()))
    return ApiError(429, "quota_exceeded", message, headers={"Retry-After": str(retry_after)})
