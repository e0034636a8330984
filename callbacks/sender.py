"""POSTs status callbacks to resellers: one pooled HTTP client, signed bodies, typed refusals."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from activities.models import StatusCallback
from callbacks.signing import CallbackSigner
from config import Settings

EVENT_TYPE = "onboarding.status_changed"


class CallbackFailed(Exception):
    """The reseller's endpoint did not take the callback; worth retrying later.

    The message names the host only: a callback URL may carry the reseller's token in its path or query.
    """

    def __init__(self, message: str, retry_after_s: float | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class CallbackSender:
    """Delivers :class:`StatusCallback` events; close with :meth:`aclose`."""

    def __init__(self, signer: CallbackSigner, http: httpx.AsyncClient) -> None:
        self._signer = signer
        self._http = http

    @classmethod
    def from_settings(cls, settings: Settings) -> CallbackSender:
        """A sender signing with the configured keys; redirects are not followed."""
        timeout = httpx.Timeout(settings.callback_timeout_s, connect=min(settings.callback_timeout_s, 5.0))
        return cls(CallbackSigner(settings.callback_signing_keys), httpx.AsyncClient(timeout=timeout))

    async def send(self, callback: StatusCallback) -> None:
        """POST the event, signed now; any 2xx is delivery. Raises :class:`CallbackFailed` otherwise."""
        body = json.dumps(
            {
                "type": EVENT_TYPE,
                "timestamp": callback.document.updated_at.isoformat(),
                "data": callback.document.model_dump(mode="json"),
            }
        )
        headers = self._signer.headers(callback.reseller, callback.event_id, datetime.now(UTC), body)
        host = httpx.URL(callback.url).host
        try:
            response = await self._http.post(
                callback.url, content=body, headers={**headers, "content-type": "application/json"}
            )
        except httpx.TransportError as error:
            raise CallbackFailed(f"callback to {host} failed: {type(error).__name__}") from None
        if not response.is_success:
            raise CallbackFailed(
                f"callback to {host} answered {response.status_code}", _retry_after(response)
            )

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None
