"""Key rings written as ``kid:base64key,...`` (32-byte AES-256-GCM keys); the first key encrypts."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import SecretStr

KEY_BYTES = 32


class KeyRingError(ValueError):
    """A key ring that cannot be used; the message names key ids, never key material."""


@dataclass(frozen=True)
class KeyRing:
    """AES-GCM ciphers by key id; ``primary`` names the one new values are encrypted with."""

    primary: str
    ciphers: Mapping[str, AESGCM] = field(repr=False)


def parse_key_ring(ring: SecretStr, *, label: str) -> KeyRing:
    """Parse ``ring``; ``label`` (e.g. "vault", "codec") names the ring in error messages."""
    ciphers: dict[str, AESGCM] = {}
    for entry in ring.get_secret_value().split(","):
        kid, sep, encoded = entry.strip().partition(":")
        if not sep or not kid:
            raise KeyRingError(f"each {label} key must be written as kid:base64key")
        try:
            raw = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise KeyRingError(f"{label} key {kid!r} is not valid base64") from None
        if len(raw) != KEY_BYTES:
            raise KeyRingError(f"{label} key {kid!r} must be {KEY_BYTES} bytes")
        if kid in ciphers:
            raise KeyRingError(f"{label} key {kid!r} is listed twice")
        ciphers[kid] = AESGCM(raw)
    return KeyRing(primary=next(iter(ciphers)), ciphers=ciphers)
