"""POSTs status callbacks to resellers: one pooled HTTP client, signed bodies, typed failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import httpx

from activities.models import StatusCallback
from callbacks.destinations import NotPublic, parse, public_address, refusal
from callbacks.signing import CallbackSigner
from config import Settings

EVENT_TYPE = "onboarding.status_changed"


class CallbackFailed(Exception):
    """The reseller's endpoint did not take the callback; ``final`` when retrying cannot help.

    The message names the host only: a callback URL may carry the reseller's token in its path or query.
    """

    def __init__(self, message: str, *, retry_after_s: float | None = None, final: bool = False) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s
        self.final = final


class CallbackSender:
    """Delivers :class:`StatusCallback` events; close with :meth:`aclose`.

    With ``public_only`` (production) it refuses URLs that are not https to a public address, checking
    the address the host name resolves to as well.
    """

    def __init__(self, signer: CallbackSigner, http: httpx.AsyncClient, *, public_only: bool) -> None:
        self._signer = signer
        self._http = http
        self._public_only = public_only

    @classmethod
    def from_settings(cls, settings: Settings) -> CallbackSender:
        """A sender signing with the configured keys; no redirects, no proxy or netrc from the environment."""
        timeout = httpx.Timeout(settings.callback_timeout_s, connect=min(settings.callback_timeout_s, 5.0))
        http = httpx.AsyncClient(timeout=timeout, trust_env=False)
        signer = CallbackSigner(settings.callback_signing_keys)
        return cls(signer, http, public_only=settings.environment == "production")

    async def send(self, callback: StatusCallback) -> None:
        """POST the event, signed now; any 2xx is delivery. Raises :class:`CallbackFailed` otherwise."""
        try:
            url, host = parse(callback.url)
        except NotPublic:
            raise CallbackFailed("the callback URL is invalid", final=True) from None
        target, extensions = url, {}
        if self._public_only:
            target = await self._public_target(url, host)
            extensions = {"sni_hostname": host}
        body = json.dumps(
            {
                "type": EVENT_TYPE,
                "timestamp": callback.document.updated_at.isoformat(),
                "data": callback.document.model_dump(mode="json"),
            }
        )
        headers = self._signer.headers(callback.reseller, callback.event_id, datetime.now(UTC), body)
        headers.update({"content-type": "application/json", "host": url.netloc.decode("ascii")})
        try:
            response = await self._http.post(target, content=body, headers=headers, extensions=extensions)
        except httpx.TransportError as error:
            raise CallbackFailed(f"callback to {host} failed: {type(error).__name__}") from None
        if not response.is_success:
            raise CallbackFailed(
                f"callback to {host} answered {response.status_code}", retry_after_s=_retry_after(response)
            )

    async def _public_target(self, url: httpx.URL, host: str) -> httpx.URL:
        """``url`` pointed at the checked address of its host (TLS still verifies the host name)."""
        try:
            reason = refusal(url, host)
            if reason is not None:
                raise NotPublic(reason)
            address = await public_address(host, url.port or 443)
        except NotPublic as refused:
            raise CallbackFailed(f"callback URL {refused}", final=True) from None
        except OSError:
            raise CallbackFailed(f"callback host {host} does not resolve") from None
        return url.copy_with(host=address)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._http.aclose()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None
