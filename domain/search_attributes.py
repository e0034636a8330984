"""Custom search attributes (all Keyword), registered when the Temporal server starts."""

from __future__ import annotations

from temporalio.common import SearchAttributeKey

ONBOARDING_STATUS = SearchAttributeKey.for_keyword("OnboardingStatus")
ONBOARDING_REFERENCE = SearchAttributeKey.for_keyword("OnboardingReference")
SUB_ACCOUNT_ID = SearchAttributeKey.for_keyword("SubAccountId")
KYC_STATUS = SearchAttributeKey.for_keyword("KycStatus")

ALL_KEYS = (ONBOARDING_STATUS, ONBOARDING_REFERENCE, SUB_ACCOUNT_ID, KYC_STATUS)


def dev_server_flags() -> list[str]:
    """``--search-attribute`` flags for ``temporal server start-dev``."""
    flags: list[str] = []
    for key in ALL_KEYS:
        flags += ["--search-attribute", f"{key.name}=Keyword"]
    return flags
