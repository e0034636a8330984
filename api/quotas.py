"""How a start refused by a quota is answered: 429 with ``Retry-After`` when waiting frees the quota, 409
when only an onboarding ending does (agent slots). The message names the quota and the reseller's own
limit, nothing about other resellers."""

from __future__ import annotations

from api.errors import ApiError
from api.metrics import QUOTA_REFUSALS
from config.quotas import QuotaName
from store.models import utcnow
from store.quotas import QuotaExceeded

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
    retry_after = exceeded.retry_after_s(utcnow())
    if retry_after is None:
        return ApiError(409, "quota_exceeded", message)
    return ApiError(429, "quota_exceeded", message, headers={"Retry-After": str(retry_after)})
