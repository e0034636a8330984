"""Agent-platform capacity: which master account each onboarding's agent-platform sub-account lives in.

Each master account holds at most ``slot_limit`` sub-accounts. An onboarding takes a numbered slot
(``0 .. slot_limit - 1``) in the first account with room before it creates its agent-platform
sub-account, and gives it back once that sub-account is deleted. Two onboardings can never hold the same
slot (a unique constraint on account and slot, which SQLite and PostgreSQL both enforce whatever the
isolation level), and an onboarding holds one slot at most (its id is the key): so however many workers
race for the last slot, one gets it and the others see the account full.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from domain.onboarding import TERMINAL_STATUSES
from store.models import AgentAccount, AgentSlot, OnboardingRecord, as_utc, utcnow

#: the status of onboardings waiting for a slot (``domain.onboarding.OnboardingStatus``)
AWAITING = "awaiting_agent_capacity"
#: statuses of onboardings that will never take a slot: ended, or being cancelled
NEEDS_NO_SLOT = TERMINAL_STATUSES | {"cancelling"}
#: a taker that loses this many races in a row gives up for now (:class:`SlotContention`: retried)
_RACES = 20


#: random picks of a free slot before looking for one in order
_RANDOM_TRIES = 8


class SlotContention(Exception):
    """Other onboardings kept taking the free slots first: try again (nothing was taken)."""


@dataclass(frozen=True)
class AccountUse:
    """One master account's slots: taken, the limit, and since when the platform said it was full."""

    name: str
    used: int
    limit: int
    full_since: datetime | None
    configured: bool

    @property
    def free(self) -> int:
        """Slots left to take (none once the platform said the account is full)."""
        return 0 if self.full_since is not None else max(0, self.limit - self.used)


@dataclass(frozen=True)
class Overview:
    """Every account's use, and how many onboardings wait for a slot."""

    accounts: list[AccountUse]
    waiting: int

    @property
    def free(self) -> int:
        """Slots free in the configured accounts."""
        return configured_free(self.accounts)


def configured_free(accounts: list[AccountUse]) -> int:
    """Slots free in those of ``accounts`` that are configured (onboardings take slots only in those)."""
    return sum(account.free for account in accounts if account.configured)


def overview(engine: Engine, configured: list[str], limit: int) -> Overview:
    """What ``onboard capacity`` and the operators' route show (see :func:`usage`)."""
    return Overview(accounts=usage(engine, configured, limit), waiting=waiting_count(engine))


def sync_accounts(engine: Engine, names: list[str], limit: int) -> list[str]:
    """Record the configured accounts (in slot-taking order) with their limit; returns those new to the
    database. An account no longer configured keeps its row (its slots are still held) at the end."""
    added = []
    with Session(engine) as session:
        known = {row.name: row for row in session.exec(select(AgentAccount))}
        for position, name in enumerate(names):
            row = known.get(name)
            if row is None:
                row = AgentAccount(name=name, slot_limit=limit, position=position)
                added.append(name)
            row.slot_limit, row.position = limit, position
            session.add(row)
        for row in known.values():
            if row.name not in names:
                row.position = len(names)
                session.add(row)
        try:
            session.commit()
        except IntegrityError:  # another worker recorded them first: theirs are the same
            session.rollback()
            return []
    return added


def slot_of(engine: Engine, onboarding_id: str) -> AgentSlot | None:
    """The slot ``onboarding_id`` holds (its account, and its sub-account once made), or None."""
    with Session(engine) as session:
        return session.get(AgentSlot, onboarding_id)


def record_sub_account(engine: Engine, onboarding_id: str, sub_account_id: str) -> None:
    """Note the agent-platform sub-account made in ``onboarding_id``'s slot (nothing when none is held)."""
    with Session(engine) as session:
        session.execute(
            update(AgentSlot)
            .where(col(AgentSlot.onboarding_id) == onboarding_id)
            .values(sub_account_id=sub_account_id)
        )
        session.commit()


def note_create_sent(engine: Engine, onboarding_id: str) -> None:
    """Note, before it goes out, that a create of ``onboarding_id``'s agent-platform sub-account is sent
    from its slot (the first time only; nothing when no slot is held)."""
    with Session(engine) as session:
        session.execute(
            update(AgentSlot)
            .where(col(AgentSlot.onboarding_id) == onboarding_id, col(AgentSlot.create_sent_at).is_(None))
            .values(create_sent_at=utcnow())
        )
        session.commit()


def take(engine: Engine, onboarding_id: str, accounts: list[str]) -> str | None:
    """A slot for ``onboarding_id`` in the first of ``accounts`` with room (the one it already holds, if
    any); None when every one is full. A free slot is picked at random, so racing takers rarely collide;
    one that loses every race raises :class:`SlotContention`."""
    for _ in range(_RACES):
        with Session(engine) as session:
            held = session.get(AgentSlot, onboarding_id)
            if held is not None:
                return held.account
            slot = _free_slot(session, accounts)
            if slot is None:
                return None
            session.add(AgentSlot(onboarding_id=onboarding_id, account=slot[0], slot=slot[1]))
            try:
                session.commit()
            except IntegrityError:  # another onboarding took that slot first (or we did): look again
                session.rollback()
                continue
            return slot[0]
    raise SlotContention(onboarding_id)


def _free_slot(session: Session, accounts: list[str]) -> tuple[str, int] | None:
    rows = {row.name: row for row in session.exec(select(AgentAccount))}
    for name in accounts:
        row = rows.get(name)
        if row is None or row.full_since is not None:
            continue
        taken = set(session.exec(select(AgentSlot.slot).where(col(AgentSlot.account) == name)))
        free = _pick(taken, row.slot_limit)
        if free is not None:
            return name, free
    return None


def _pick(taken: set[int], limit: int) -> int | None:
    """A slot number below ``limit`` not in ``taken``, at random while many are free (cheap whatever the
    limit), else the lowest free one; None when none is."""
    for _ in range(_RANDOM_TRIES):
        guess = random.randrange(limit)
        if guess not in taken:
            return guess
    return next((n for n in range(limit) if n not in taken), None)


def mark_full(engine: Engine, account: str, onboarding_id: str) -> None:
    """The platform refused ``onboarding_id`` a sub-account in ``account`` (its limit): record the account
    full and give the slot back, so the onboarding takes one elsewhere."""
    with Session(engine) as session:
        session.execute(
            update(AgentAccount)
            .where(col(AgentAccount.name) == account, col(AgentAccount.full_since).is_(None))
            .values(full_since=utcnow())
        )
        session.execute(delete(AgentSlot).where(col(AgentSlot.onboarding_id) == onboarding_id))
        session.commit()


def release(engine: Engine, onboarding_id: str) -> str | None:
    """Give back ``onboarding_id``'s slot (its agent-platform sub-account is gone); the account has room
    again, so a full mark on it is lifted. Returns the account, or None when no slot was held."""
    with Session(engine) as session:
        held = session.get(AgentSlot, onboarding_id)
        if held is None:
            return None
        session.delete(held)
        session.execute(
            update(AgentAccount).where(col(AgentAccount.name) == held.account).values(full_since=None)
        )
        session.commit()
        return held.account


def usage(engine: Engine, configured: list[str], limit: int | None = None) -> list[AccountUse]:
    """Every known account's use, in slot-taking order; with ``limit``, the ``configured`` accounts no
    worker has recorded yet follow, empty, with that limit."""
    known = _usage(engine, configured)
    seen = {use.name for use in known}
    if limit is not None:
        known += [AccountUse(n, 0, limit, None, True) for n in configured if n not in seen]
    return known


def _usage(engine: Engine, configured: list[str]) -> list[AccountUse]:
    with Session(engine) as session:
        counts = dict(
            session.exec(select(AgentSlot.account, func.count()).group_by(col(AgentSlot.account))).all()
        )
        rows = session.exec(select(AgentAccount).order_by(col(AgentAccount.position), col(AgentAccount.name)))
        return [
            AccountUse(
                name=row.name,
                used=counts.get(row.name, 0),
                limit=row.slot_limit,
                full_since=None if row.full_since is None else as_utc(row.full_since),
                configured=row.name in configured,
            )
            for row in rows
        ]


def slots_not_spoken_for(engine: Engine, configured: list[str], limit: int) -> int:
    """Slots free in the configured accounts less one for every onboarding under way that holds none yet:
    each takes one when it reaches its agent step, before any row of a batch sent now would."""
    free = configured_free(usage(engine, configured, limit))
    with Session(engine) as session:
        under_way = session.exec(
            select(func.count())
            .select_from(OnboardingRecord)
            .outerjoin(AgentSlot, col(AgentSlot.onboarding_id) == col(OnboardingRecord.id))
            .where(col(OnboardingRecord.status).not_in(NEEDS_NO_SLOT), col(AgentSlot.onboarding_id).is_(None))
        ).one()
    return max(0, free - under_way)


def waiting(engine: Engine, limit: int = 100) -> list[str]:
    """The onboardings waiting for a slot, longest waiting first (by their last change)."""
    with Session(engine) as session:
        query = (
            select(OnboardingRecord.id)
            .where(col(OnboardingRecord.status) == AWAITING)
            .order_by(col(OnboardingRecord.updated_at))
            .limit(limit)
        )
        return list(session.exec(query).all())


def waiting_count(engine: Engine) -> int:
    """How many onboardings wait for a slot."""
    with Session(engine) as session:
        query = (
            select(func.count()).select_from(OnboardingRecord).where(col(OnboardingRecord.status) == AWAITING)
        )
        return session.exec(query).one()
