"""A Temporal payload codec: every payload is AES-256-GCM encrypted under the first key of a key ring.

The whole original payload (metadata and data) is the plaintext, so nothing about it, not even its
encoding, is readable in the history; the key id travels in the metadata so old histories stay
readable after a new key is put first.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from google.protobuf.message import DecodeError
from pydantic import SecretStr
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from codec.keyring import parse_key_ring

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"
_NONCE_BYTES = 12


class CodecError(Exception):
    """A payload this codec cannot decrypt: unknown key id or tampered ciphertext (no key material shown)."""


class EncryptionCodec(PayloadCodec):
    """Encrypts payloads with the primary key of ``key_ring`` (``kid:base64key,...``); every key decrypts."""

    def __init__(self, key_ring: SecretStr) -> None:
        self._ring = parse_key_ring(key_ring, label="codec")

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Encrypt each payload whole; the key id is bound to the ciphertext as associated data."""
        kid = self._ring.primary
        cipher = self._ring.ciphers[kid]
        encoded = []
        for payload in payloads:
            nonce = os.urandom(_NONCE_BYTES)
            sealed = cipher.encrypt(nonce, payload.SerializeToString(), kid.encode())
            encoded.append(
                Payload(metadata={"encoding": ENCODING, KEY_ID: kid.encode()}, data=nonce + sealed)
            )
        return encoded

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        """Decrypt payloads this codec encoded; pass any other payload through unchanged."""
        return [self._decrypt(p) if p.metadata.get("encoding") == ENCODING else p for p in payloads]

    def _decrypt(self, payload: Payload) -> Payload:
        kid = payload.metadata.get(KEY_ID, b"").decode(errors="replace")
        cipher = self._ring.ciphers.get(kid)
        if cipher is None:
            raise CodecError(f"payload was encrypted with codec key {kid!r}, which is not configured")
        try:
            plain = cipher.decrypt(payload.data[:_NONCE_BYTES], payload.data[_NONCE_BYTES:], kid.encode())
            decoded = Payload()
            decoded.ParseFromString(plain)
        except (InvalidTag, ValueError, DecodeError):  # tampered, truncated (short nonce) or not a Payload
            raise CodecError(f"payload cannot be decrypted with codec key {kid!r}") from None
        return decoded
