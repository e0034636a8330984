"""The credentials vault: AES-GCM with a key ring (``kid:base64key,...``); the first key encrypts.

The key id is stored beside each value, so old values stay readable after a new key is put first,
and :func:`rotate` re-encrypts them under it.
"""

from __future__ import annotations

import os

from pydantic import SecretStr

from codec.keyring import KeyRingError, parse_key_ring

_NONCE_BYTES = 12


class VaultError(Exception):
    """A vault key ring that cannot be used, or a value that cannot be decrypted (no key material shown)."""


class Vault:
    """Encrypts and decrypts small secrets with a ring of AES-256-GCM keys."""

    def __init__(self, key_ring: SecretStr) -> None:
        try:
            ring = parse_key_ring(key_ring, label="vault")
        except KeyRingError as exc:
            raise VaultError(str(exc)) from None
        self._keys = ring.ciphers
        self._primary = ring.primary

    @property
    def primary_key_id(self) -> str:
        """The id of the key new values are encrypted with."""
        return self._primary

    def encrypt(self, plaintext: SecretStr, *, context: str) -> tuple[str, bytes]:
        """Encrypt under the primary key, binding ``context`` (e.g. the sub-account id) as associated data."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._keys[self._primary].encrypt(
            nonce, plaintext.get_secret_value().encode(), context.encode()
        )
        return self._primary, nonce + sealed

    def decrypt(self, key_id: str, blob: bytes, *, context: str) -> SecretStr:
        """Decrypt a value written by :meth:`encrypt` with the same ``context``."""
        key = self._keys.get(key_id)
        if key is None:
            raise VaultError(f"vault key {key_id!r} is not configured")
        try:
            plain = key.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], context.encode())
        except Exception as exc:
            raise VaultError("value cannot be decrypted with the configured key") from exc
        return SecretStr(plain.decode())
