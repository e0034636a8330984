"""Onboarding records: idempotent claim of a reference, status mirror, lookups and cursor pagination."""

from __future__ import annotations

import hashlib
from collections.abc import Collection
from typing import Any, NamedTuple

from sqlalchemy import bindparam, func, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from config.quotas import Quota
from domain.onboarding import KycProgress, NumbersRequest, OnboardingRequest, OnboardingState
from store import quotas
from store.models import KycSessionLink, OnboardingRecord, as_utc
from store.pages import newest_first


class ReferenceConflict(Exception):
    """The reference is already onboarding with a different request."""


class RecordMissing(LookupError):
    """No record for the onboarding yet (it was started outside the API)."""


def request_fingerprint(request: OnboardingRequest) -> str:
    """A stable hash of the request, to tell a retry (same body) from a clash (other body).

    Fields added since the first release count only when they differ from their defaults, so records
    stored before keep matching.
    """
    defaults = OnboardingRequest.model_fields
    later: dict[str, Any] = {
        name: True for name in _LATER_FIELDS if getattr(request, name) == defaults[name].default
    }
    if request.numbers.provider == NumbersRequest.model_fields["provider"].default:
        later["numbers"] = {"provider"}
    return hashlib.sha256(request.model_dump_json(exclude=later).encode()).hexdigest()


#: Request fields added after the first release.
_LATER_FIELDS = ("callback_url", "kyc_flow", "kyc_redirect_url")


def claim(
    engine: Engine,
    state: OnboardingState,
    request_hash: str,
    quota: Quota | None = None,
    callback_url: str | None = None,
) -> tuple[OnboardingState, bool]:
    """Insert the record for a new onboarding (with the request's ``callback_url``, for the customer's
    lifecycle callbacks), or return the existing one for the same request.

    Returns ``(state, created)``; raises :class:`ReferenceConflict` when the reference is taken by
    another request. One transaction: there is never a half-written record.

    With ``quota``, a new record that would take the reseller past it is not kept: raises
    :class:`~store.quotas.QuotaExceeded`. An existing reference is answered as above whatever the quota.
    Claims with a quota of one reseller run one at a time, across processes, so they never overshoot.
    """
    record = OnboardingRecord(
        id=state.id,
        reseller=state.reseller,
        reference=state.reference,
        request_hash=request_hash,
        status=state.status,
        document=state.model_dump_json(),
        created_at=state.created_at,
        updated_at=state.updated_at,
        callback_url=callback_url,
    )
    with Session(engine) as session:
        if quota is not None:
            quotas.serialise_claims(session, state.reseller)
        session.add(record)
        try:
            session.flush()
        except IntegrityError:
            session.rollback()
        else:
            if quota is not None:
                quotas.check(session, state.reseller, quota, state.created_at)
            session.commit()
            return state, True
    existing = find(engine, state.reseller, state.reference)
    if existing is None:  # lost a race with a delete that does not exist in this API: treat as conflict
        raise ReferenceConflict(state.reference)
    if existing.request_hash != request_hash:
        raise ReferenceConflict(state.reference)
    return OnboardingState.model_validate_json(existing.document), False


def find(engine: Engine, reseller: str, reference: str) -> OnboardingRecord | None:
    """The record of ``reference`` for ``reseller``."""
    with Session(engine) as session:
        statement = select(OnboardingRecord).where(
            OnboardingRecord.reseller == reseller, OnboardingRecord.reference == reference
        )
        return session.exec(statement).first()


#: built once: every status read runs it, and building a statement costs more than running it
_STORED_DOCUMENT = select(OnboardingRecord.reseller, OnboardingRecord.document).where(
    col(OnboardingRecord.id) == bindparam("onboarding_id")
)


def get_state(engine: Engine, onboarding_id: str, reseller: str | None = None) -> OnboardingState | None:
    """The last mirrored status document, optionally only if it belongs to ``reseller``."""
    with engine.connect() as connection:
        row = connection.execute(_STORED_DOCUMENT, {"onboarding_id": onboarding_id}).first()
    if row is None or (reseller is not None and row.reseller != reseller):
        return None
    return OnboardingState.model_validate_json(row.document)


#: the mirror of a document that carries no stored progress: one statement, only over an older document
_MIRROR = (
    update(OnboardingRecord)
    .where(
        col(OnboardingRecord.id) == bindparam("onboarding_id"),
        col(OnboardingRecord.updated_at) <= bindparam("mirrored_at"),
    )
    .values(
        status=bindparam("status"),
        kyc_session_id=bindparam("kyc_session_id"),
        document=bindparam("document"),
        updated_at=bindparam("mirrored_at"),
        callback_url=func.coalesce(bindparam("callback_url"), OnboardingRecord.callback_url),
    )
)
_RECORD_EXISTS = select(OnboardingRecord.id).where(col(OnboardingRecord.id) == bindparam("onboarding_id"))


def save_state(engine: Engine, state: OnboardingState, callback_url: str | None = None) -> None:
    """Mirror a status document; an older document never overwrites a newer one, nor the KYC progress
    :func:`record_progress` stored ahead of the workflow's mirror. ``callback_url`` (the onboarding
    request's) is kept for the customer's lifecycle callbacks."""
    if state.status == "awaiting_kyc":
        _save_keeping_progress(engine, state, callback_url)
        return
    # every other status is one conditional UPDATE: the workflow mirrors at each step, and reading the
    # record through the ORM first cost four times the write
    parameters = {
        "onboarding_id": state.id,
        "mirrored_at": state.updated_at,
        "status": state.status,
        "kyc_session_id": state.kyc.session_id,
        "document": state.model_dump_json(),
        "callback_url": callback_url,
    }
    with engine.begin() as connection:
        if connection.execute(_MIRROR, parameters).rowcount:
            return
        if connection.execute(_RECORD_EXISTS, {"onboarding_id": state.id}).first() is None:
            raise RecordMissing(f"no onboarding record {state.id}")


def _save_keeping_progress(engine: Engine, state: OnboardingState, callback_url: str | None) -> None:
    """Mirror a document awaiting KYC with the progress the stored one shows further, if any."""
    with Session(engine) as session:
        record = session.get(OnboardingRecord, state.id, with_for_update=True)
        if record is None:
            raise RecordMissing(f"no onboarding record {state.id}")
        if as_utc(record.updated_at) > state.updated_at:
            return
        state = _with_stored_progress(state, OnboardingState.model_validate_json(record.document))
        record.status = state.status
        record.kyc_session_id = state.kyc.session_id
        record.document = state.model_dump_json()
        record.updated_at = state.updated_at
        if callback_url is not None:
            record.callback_url = callback_url
        session.add(record)
        session.commit()


def _with_stored_progress(state: OnboardingState, stored: OnboardingState) -> OnboardingState:
    """``state`` with the progress ``stored`` shows further in the same session, if any."""
    kyc = stored.kyc
    if kyc.progress is None or kyc.progress_at is None:
        return state
    merged = state.model_copy(deep=True)
    changed = merged.take_progress(kyc.session_id, kyc.progress, kyc.progress_at, kyc.documents or None)
    return merged if changed else state


def record_progress(engine: Engine, onboarding_id: str, progress: KycProgress) -> bool:
    """Show the customer's KYC progress in the stored status document now, under the workflow's rules
    (:meth:`~domain.onboarding.OnboardingState.take_progress`); whether it changed it. ``updated_at`` stays,
    so the workflow's next mirror is never taken for an older document."""
    with Session(engine) as session:
        record = session.get(OnboardingRecord, onboarding_id, with_for_update=True)
        if record is None:
            return False
        state = OnboardingState.model_validate_json(record.document)
        if not state.take_progress(
            progress.session_id, progress.event, progress.occurred_at, progress.documents
        ):
            return False
        record.document = state.model_dump_json()
        session.add(record)
        session.commit()
        return True


class KycSessionOwner(NamedTuple):
    """The onboarding that started a hosted KYC session, and whether it has since started a newer one."""

    record: OnboardingRecord
    superseded: bool


def kyc_session_owner(engine: Engine, session_id: str) -> KycSessionOwner | None:
    """The onboarding that started hosted KYC session ``session_id`` (current or stale), read at once with
    whether a newer session replaced it; None for a session nobody started."""
    with Session(engine) as session:
        link = session.get(KycSessionLink, session_id)
        record = None if link is None else session.get(OnboardingRecord, link.onboarding_id)
        if link is None or record is None:
            return None
        newer = select(KycSessionLink).where(
            col(KycSessionLink.onboarding_id) == link.onboarding_id,
            col(KycSessionLink.created_at) > link.created_at,
        )
        return KycSessionOwner(record, session.exec(newer.limit(1)).first() is not None)


def link_kyc_session(engine: Engine, onboarding_id: str, session_id: str) -> None:
    """Remember which onboarding a hosted session belongs to, before anyone can complete it (idempotent)."""
    with Session(engine) as session:
        if session.get(KycSessionLink, session_id) is None:
            session.add(KycSessionLink(session_id=session_id, onboarding_id=onboarding_id))
            try:
                session.commit()
            except IntegrityError:
                session.rollback()


def list_states(
    engine: Engine, *, reseller: str, statuses: Collection[str] | None, limit: int, cursor: str | None
) -> tuple[list[OnboardingState], str | None]:
    """Newest first, only in ``statuses`` if given, ``limit`` at a time; returns the page and the cursor of
    the next one (or None). Raises :class:`~store.pages.InvalidCursor` for a cursor it did not issue."""
    with Session(engine) as session:
        statement = select(OnboardingRecord).where(OnboardingRecord.reseller == reseller)
        if statuses is not None:
            statement = statement.where(col(OnboardingRecord.status).in_(statuses))
        page, next_cursor = newest_first(session, statement, OnboardingRecord, limit=limit, cursor=cursor)
    return [OnboardingState.model_validate_json(row.document) for row in page], next_cursor


def callback_url(engine: Engine, onboarding_id: str) -> str | None:
    """The callback URL the onboarding was started with (None: none, or mirrored before it was kept)."""
    with Session(engine) as session:
        record = session.get(OnboardingRecord, onboarding_id)
        return None if record is None else record.callback_url
