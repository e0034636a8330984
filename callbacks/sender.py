"""POSTs status callbacks to resellers: signed bodies, typed failures, and bounds a hostile endpoint
cannot stretch: one deadline for the whole delivery, at most 4 KiB of its answer read, a pool per host."""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

import httpx

from callbacks.destinations import NotPublic, parse, public_address, refusal
from callbacks.pools import HostPools
from callbacks.signing import CallbackSigner
from config import Settings
from domain.onboarding import StatusCallback
from telemetry.temporal_ui import UiLinks

#: Bytes of an answer's body read at most (then the connection is dropped instead of reused).
ANSWER_READ_LIMIT = 4096


#: Resolves a host name to the address to connect to (``public_address`` in production).
Resolver = Callable[[str, int], Awaitable[str]]


class CallbackFailed(Exception):
    """The reseller's endpoint did not take the callback; ``final`` when retrying cannot help.

    The message names the host only: a callback URL may carry the reseller's token in its path or query.
    ``answered`` is the HTTP status the endpoint answered, if it answered at all.
    """

    def __init__(
        self,
        message: str,
        *,
        answered: int | None = None,
        retry_after_s: float | None = None,
        final: bool = False,
    ) -> None:
        super().__init__(message)
        self.answered = answered
        self.retry_after_s = retry_after_s
        self.final = final


class CallbackSender:
    """Delivers :class:`StatusCallback` events; close with :meth:`aclose`.

    With ``public_only`` (production) it refuses URLs that are not https to a public address, checking
    the address the host name resolves to (``resolve``) as well, and connects to that checked address.
    ``tls`` replaces the trust store (certifi's, as httpx uses); ``links`` adds the documents' links.
    """

    def __init__(
        self,
        signer: CallbackSigner,
        *,
        deadline_s: float,
        public_only: bool,
        resolve: Resolver = public_address,
        tls: ssl.SSLContext | None = None,
        links: UiLinks = UiLinks(None),
    ) -> None:
        self._signer = signer
        self._links = links
        self._deadline_s = deadline_s
        self._pools = HostPools(httpx.Timeout(deadline_s, connect=min(deadline_s, 5.0)), tls)
        self._public_only = public_only
        self._resolve = resolve

    @classmethod
    def from_settings(cls, settings: Settings) -> CallbackSender:
        """A sender signing with the configured keys, each delivery bounded by ``callback_timeout_s``,
        documents linking to the configured Temporal UI."""
        signer = CallbackSigner(settings.callback_signing_keys)
        return cls(
            signer,
            deadline_s=settings.callback_timeout_s,
            public_only=settings.environment == "production",
            links=UiLinks.from_settings(settings),
        )

    async def send(self, callback: StatusCallback) -> int:
        """POST the event, signed now; any 2xx is delivery, and is returned. Raises :class:`CallbackFailed`
        otherwise, also when the whole delivery (name lookup included) takes longer than the deadline."""
        try:
            url, host = parse(callback.url)
        except NotPublic:
            raise CallbackFailed("the callback URL is invalid", final=True) from None
        try:
            async with asyncio.timeout(self._deadline_s):
                return await self._deliver(callback, url, host)
        except TimeoutError:
            raise CallbackFailed(f"callback to {host} took longer than {self._deadline_s:g} s") from None

    async def _deliver(self, callback: StatusCallback, url: httpx.URL, host: str) -> int:
        target, extensions = url, {}
        if self._public_only:
            target = await self._public_target(url, host)
            extensions = {"sni_hostname": host}
        body = json.dumps(
            {
                "type": callback.type,
                "timestamp": callback.at.isoformat(),
                "data": self._links.document(callback.document).model_dump(mode="json"),
            }
        )
        headers = self._signer.headers(callback.reseller, callback.event_id, datetime.now(UTC), body)
        headers.update({"content-type": "application/json", "host": url.netloc.decode("ascii")})
        try:
            async with (
                self._pools.client(host) as http,
                http.stream("POST", target, content=body, headers=headers, extensions=extensions) as response,
            ):
                await _read_at_most(response, ANSWER_READ_LIMIT)
        except httpx.TransportError as error:
            raise CallbackFailed(f"callback to {host} failed: {type(error).__name__}") from None
        if not response.is_success:
            raise CallbackFailed(
                f"callback to {host} answered {response.status_code}",
                answered=response.status_code,
                retry_after_s=_retry_after(response),
            )
        return response.status_code

    async def _public_target(self, url: httpx.URL, host: str) -> httpx.URL:
        """``url`` pointed at the checked address of its host (TLS still verifies the host name)."""
        try:
            reason = refusal(url, host)
            if reason is not None:
                raise NotPublic(reason)
            address = await self._resolve(host, url.port or 443)
        except NotPublic as refused:
            raise CallbackFailed(f"callback URL {refused}", final=True) from None
        except OSError:
            raise CallbackFailed(f"callback host {host} does not resolve") from None
        return url.copy_with(host=address)

    async def aclose(self) -> None:
        """Close the pooled connections."""
        await self._pools.aclose()


async def _read_at_most(response: httpx.Response, limit: int) -> None:
    """Read the answer's body if it is short (the connection can then be reused); stop past ``limit``."""
    read = 0
    async for chunk in response.aiter_raw():
        read += len(chunk)
        if read > limit:
            return


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("retry-after", "")
    return float(value) if value.isdigit() else None
