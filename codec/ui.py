"""The development Temporal UI's codec credential: sent in the codec endpoint's path, it reveals no key."""

from __future__ import annotations

import hashlib
import hmac


def ui_codec_token(api_key: str) -> str:
    """The token the development Temporal UI sends to the codec endpoint, derived from the API key."""
    return hmac.new(api_key.encode(), b"temporal-ui-codec", hashlib.sha256).hexdigest()
