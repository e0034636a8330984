"""Status documents for tests that need one without running an onboarding."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from domain.onboarding import OnboardingState, workflow_id_for

#: When the documents were last updated, unless a test says otherwise.
NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def status_document(
    status: str = "completed", *, reference: str = "cust-1", **fields: Any
) -> OnboardingState:
    """The document of onboarding ``reference`` in ``status``, of reseller ``default`` unless given."""
    reseller = fields.pop("reseller", "default")
    return OnboardingState(
        id=workflow_id_for(reseller, reference),
        reference=reference,
        reseller=reseller,
        status=status,
        kyc_mode=fields.pop("kyc_mode", "customer_use"),
        created_at=NOW,
        updated_at=NOW,
        **fields,
    )
