"""Which callback URLs production accepts: https to a public host, never a local or private address."""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import httpx

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal")


def production_refusal(url: str) -> str | None:
    """Why ``url`` may not receive callbacks in production, or None when it may (no DNS lookup here)."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "is not a valid URL"
    if parsed.scheme != "https":
        return "must use https"
    host = parsed.host.lower().rstrip(".")
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return "must not point at a local host name"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    return None if address.is_global else "must not point at a private, loopback or link-local address"


async def resolution_refusal(host: str, port: int) -> str | None:
    """Why ``host`` may not receive callbacks once resolved (a name pointing into a private network).

    Raises ``OSError`` when the name does not resolve (worth retrying).
    """
    found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in found:
        if not ipaddress.ip_address(sockaddr[0]).is_global:
            return "resolves to a private, loopback or link-local address"
    return None
