"""Which callback URLs production accepts: https to a public host, never a local or private address."""

from __future__ import annotations

import ipaddress

import httpx

_LOCAL_SUFFIXES = (".localhost", ".local", ".internal")


def production_refusal(url: str) -> str | None:
    """Why ``url`` may not receive callbacks in production, or None when it may.

    Host names are not resolved here: the check stops the plain mistakes and the obvious probes of the
    worker's own network (loopback, private, link-local and metadata addresses).
    """
    parsed = httpx.URL(url)
    if parsed.scheme != "https":
        return "must use https"
    host = parsed.host.lower()
    if host == "localhost" or host.endswith(_LOCAL_SUFFIXES):
        return "must not point at a local host name"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return None
    if not address.is_global:
        return "must not point at a private, loopback or link-local address"
    return None
