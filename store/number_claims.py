"""Carrier numbers claimed by onboardings: the ledger that makes a purchase safe to repeat.

The carrier publishes no idempotency key, and its owned-number list does not say who bought a number.
A claim, taken before the purchase, says which onboarding a number bought by the master account belongs
to; compensation releases every number an onboarding claimed, so none is left owned and billed.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from store.models import NumberClaim


def claim(engine: Engine, e164: str, onboarding_id: str) -> bool:
    """Claim ``e164`` for ``onboarding_id``; False when another onboarding holds it."""
    with Session(engine) as session:
        held = session.get(NumberClaim, e164)
        if held is not None:
            return held.onboarding_id == onboarding_id
        session.add(NumberClaim(e164=e164, onboarding_id=onboarding_id))
        try:
            session.commit()
        except IntegrityError:  # claimed meanwhile by a concurrent onboarding (or by ourselves)
            session.rollback()
            held = session.get(NumberClaim, e164)
            return held is not None and held.onboarding_id == onboarding_id
    return True


def claimed_by(engine: Engine, onboarding_id: str) -> list[str]:
    """Every number ``onboarding_id`` holds a claim on, oldest first."""
    with Session(engine) as session:
        rows = session.exec(
            select(NumberClaim)
            .where(col(NumberClaim.onboarding_id) == onboarding_id)
            .order_by(col(NumberClaim.claimed_at))
        )
        return [row.e164 for row in rows]


def claimed_by_others(engine: Engine, numbers: list[str], onboarding_id: str) -> set[str]:
    """Those of ``numbers`` another onboarding holds a claim on (being bought, or bought, by it)."""
    with Session(engine) as session:
        rows = session.exec(
            select(NumberClaim.e164).where(
                col(NumberClaim.e164).in_(numbers), col(NumberClaim.onboarding_id) != onboarding_id
            )
        )
        return set(rows)


def release(engine: Engine, e164: str, onboarding_id: str) -> None:
    """Give up ``onboarding_id``'s claim on ``e164`` (no-op when it holds none)."""
    with Session(engine) as session:
        held = session.get(NumberClaim, e164)
        if held is not None and held.onboarding_id == onboarding_id:
            session.delete(held)
            session.commit()
