"""Reseller API keys: created and shown once, stored hashed, found by prefix, compared in constant time.

A key reads ``onb_<prefix>_<secret>``; the prefix names the key in lists, the secret is 32 random bytes.
SHA-256 suffices as the hash because the secret is random, not a password.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from domain.onboarding import RESELLER_MAX_LENGTH
from store.models import ApiKey, utcnow

_KEY = re.compile(r"^onb_([a-z0-9]{12})_([A-Za-z0-9_-]{20,100})$")
_RESELLER = re.compile(rf"[a-z0-9][a-z0-9-]{{0,{RESELLER_MAX_LENGTH - 1}}}")


class InvalidReseller(ValueError):
    """A reseller name that is not a short lowercase slug."""


@dataclass(frozen=True)
class KeyInfo:
    """What may be shown about a key: never the key itself."""

    prefix: str
    reseller: str
    created_at: datetime
    revoked_at: datetime | None


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def check_reseller(reseller: str) -> None:
    """Raise :class:`InvalidReseller` unless ``reseller`` is a valid name (it becomes part of provider
    resource names: :data:`RESELLER_MAX_LENGTH`)."""
    if not _RESELLER.fullmatch(reseller):
        raise InvalidReseller(
            "reseller must be lowercase letters, digits and dashes, not starting with a dash,"
            f" at most {RESELLER_MAX_LENGTH} characters"
        )


def create(engine: Engine, reseller: str) -> str:
    """Create a key for ``reseller`` and return it; this is the only time it exists in clear."""
    check_reseller(reseller)
    prefix = secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with Session(engine) as session:
        session.add(ApiKey(id=prefix, reseller=reseller, key_hash=_digest(secret)))
        session.commit()
    return f"onb_{prefix}_{secret}"


def authenticate(engine: Engine, presented: str) -> str | None:
    """The reseller owning ``presented``, or None for anything else (malformed, unknown, revoked)."""
    match = _KEY.fullmatch(presented)
    if match is None:
        return None
    prefix, secret = match.groups()
    with Session(engine) as session:
        row = session.get(ApiKey, prefix)
    expected = row.key_hash if row is not None else _digest("")
    valid = hmac.compare_digest(expected, _digest(secret))
    if row is None or row.revoked_at is not None or not valid:
        return None
    return row.reseller


def list_keys(engine: Engine, reseller: str | None = None) -> list[KeyInfo]:
    """Every key (or a reseller's), oldest first."""
    with Session(engine) as session:
        statement = select(ApiKey).order_by(col(ApiKey.created_at))
        if reseller is not None:
            statement = statement.where(ApiKey.reseller == reseller)
        rows = list(session.exec(statement))
    return [KeyInfo(r.id, r.reseller, r.created_at, r.revoked_at) for r in rows]


def revoke(engine: Engine, prefix: str) -> bool:
    """Revoke the key with ``prefix``; False when there is no such active key."""
    with Session(engine) as session:
        row = session.get(ApiKey, prefix, with_for_update=True)
        if row is None or row.revoked_at is not None:
            return False
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
        return True


def prefix_of(presented: str) -> str | None:
    """The public prefix of a well-formed key (what ``onboard keys list`` shows), never its secret."""
    match = _KEY.fullmatch(presented)
    return None if match is None else match.group(1)
