"""Which paths are provider routes (faults, auth and idempotency apply) and which are ours."""

from __future__ import annotations

CARRIER_PREFIX = "/api/v1"
AGENTS_PREFIX = "/v1"


def is_provider_path(path: str) -> bool:
    """Whether ``path`` is a provider route rather than a test control or a hosted page."""
    return any(path == prefix or path.startswith(prefix + "/") for prefix in (CARRIER_PREFIX, AGENTS_PREFIX))
