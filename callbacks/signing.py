"""Each reseller's callback secret, derived from the signing keys, and the Standard Webhooks headers.

Nothing is stored per reseller: its secret is an HMAC of its name under each signing key. With several
keys configured (rotation), every callback carries one signature per key, and a reseller verifying with
either secret accepts it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

from pydantic import SecretStr
from standardwebhooks import Webhook


class CallbackSigner:
    """Signs callbacks for any reseller with the configured keys (newest first)."""

    def __init__(self, signing_keys: SecretStr) -> None:
        self._keys = [key.strip() for key in signing_keys.get_secret_value().split(",") if key.strip()]
        if not self._keys:
            raise ValueError("no callback signing key configured")

    def __repr__(self) -> str:
        return f"CallbackSigner(keys={len(self._keys)})"

    def secrets_for(self, reseller: str) -> list[str]:
        """The reseller's verification secrets (``whsec_…``), one per signing key, newest first."""
        return [_derive(key, reseller) for key in self._keys]

    def headers(self, reseller: str, message_id: str, sent_at: datetime, body: str) -> dict[str, str]:
        """``webhook-id``, ``webhook-timestamp`` and ``webhook-signature`` for ``body``."""
        secrets = self.secrets_for(reseller)
        signatures = [Webhook(secret).sign(message_id, sent_at, body) for secret in secrets]
        return {
            "webhook-id": message_id,
            "webhook-timestamp": str(int(sent_at.timestamp())),
            "webhook-signature": " ".join(signatures),
        }


def _derive(key: str, reseller: str) -> str:
    digest = hmac.new(key.encode(), f"reseller-callbacks:{reseller}".encode(), hashlib.sha256).digest()
    return "whsec_" + base64.b64encode(digest).decode()
