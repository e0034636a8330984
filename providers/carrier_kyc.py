"""The carrier client's hosted-KYC calls, as a mixin of :class:`providers.carrier.CarrierClient`.

Every KYC call authenticates as the master account; the sub-account is named in the path.
"""

from __future__ import annotations

from providers.http import ProviderApi, segment
from providers.kyc_models import KycSession, KycSessionCreate, KycSessionCreated, KycStatus, KycVerdict


class CarrierKycMixin(ProviderApi):
    """Hosted KYC sessions and the sub-account's KYC status."""

    async def start_kyc_session(
        self, sub_auth_id: str, body: KycSessionCreate, idempotency_key: str | None = None
    ) -> KycSessionCreated:
        """Open a hosted KYC session; the provider silently revokes the sub-account's previous one."""
        path = f"/sub-accounts/{segment(sub_auth_id)}/kyc-sessions"
        return await self._call(KycSessionCreated, "POST", path, body=body, idempotency_key=idempotency_key)

    async def get_kyc_session(self, sub_auth_id: str, session_id: str) -> KycSession:
        """One hosted KYC session (the path is ours: the vendor publishes it for partner sessions only)."""
        path = f"/sub-accounts/{segment(sub_auth_id)}/kyc-sessions/{segment(session_id)}"
        return await self._call(KycSession, "GET", path)

    async def get_kyc_status(self, sub_auth_id: str) -> KycStatus:
        """The sub-account's overall KYC status and whether its calls are still blocked."""
        return await self._call(KycStatus, "GET", f"/sub-accounts/{segment(sub_auth_id)}/kyc/status")

    async def kyc_verdict(self, sub_auth_id: str, session_id: str) -> KycVerdict | None:
        """The provider's confirmed verdict on a session; None while undecided.

        A ``kyc_completed`` session does not say approved or failed: the sub-account's KYC status does
        (``verified`` or ``failed``; anything else is still undecided). That status is the account's, so
        once a newer session moves it, an older session's outcome reads as the newer one's.
        """
        status = (await self.get_kyc_session(sub_auth_id, session_id)).status
        if status == "expired":
            return "expired"
        if status == "revoked":
            return "revoked"
        if status != "kyc_completed":  # on its way, or a status we do not know
            return None
        overall = (await self.get_kyc_status(sub_auth_id)).overall_status
        if overall == "verified":
            return "approved"
        return "rejected" if overall == "failed" else None
