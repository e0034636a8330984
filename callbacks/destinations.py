"""Which callback URLs production accepts: https to a public host, never a local or private address."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal")
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")


class NotPublic(Exception):
    """The callback URL may not be used in production; the message says why."""


def parse(url: str) -> tuple[httpx.URL, str]:
    """The URL and its host (lower case, no trailing dot); :class:`NotPublic` when either cannot be read."""
    try:
        parsed = httpx.URL(url)
        return parsed, parsed.host.lower().rstrip(".")
    except (httpx.InvalidURL, ValueError):  # ValueError: an IDNA name httpx cannot decode
        raise NotPublic("is not a valid URL") from None


def production_refusal(url: str) -> str | None:
    """Why ``url`` may not receive callbacks in production, or None when it may (no DNS lookup here)."""
    try:
        return refusal(*parse(url))
    except NotPublic as unreadable:
        return str(unreadable)


def refusal(url: httpx.URL, host: str) -> str | None:
    """Why the parsed ``url`` (whose host is ``host``) may not receive callbacks in production, or None."""
    if url.scheme != "https":
        return "must use https"
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return "must not point at a local host name"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return None if is_public(address) else "must not point at a private, loopback or link-local address"


def is_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """A globally routable address, including the IPv4 address inside IPv6 forms that carry one."""
    if not address.is_global:
        return False
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and (address in _NAT64 or address in _IPV4_COMPATIBLE):
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None:
            return embedded.is_global
    return True


async def public_address(host: str, port: int) -> str:
    """An address ``host`` resolves to, once every address it resolves to is public.

    Raises :class:`NotPublic` for a name pointing into a private network, ``OSError`` when the name does
    not resolve (worth retrying). Connect to the address returned, so a second lookup cannot differ.
    """
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [str(sockaddr[0]) for *_, sockaddr in found]
    if not addresses or not all(is_public(ipaddress.ip_address(a)) for a in addresses):
        raise NotPublic("resolves to a private, loopback or link-local address")
    return addresses[0]
