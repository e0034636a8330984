"""Key rings used across the security tests."""

from __future__ import annotations

import base64

OLD_KEY = base64.b64encode(b"o" * 32).decode()
NEW_KEY = base64.b64encode(b"n" * 32).decode()
OLD = f"old:{OLD_KEY}"
NEW = f"new:{NEW_KEY}"
