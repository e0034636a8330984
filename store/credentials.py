"""Sub-account credentials, encrypted with the vault; only activities that need a token read it."""

from __future__ import annotations

from pydantic import SecretStr
from sqlalchemy import update
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from store.models import SubAccountCredential
from store.vault import Vault


def save(engine: Engine, vault: Vault, *, sub_auth_id: str, onboarding_id: str, token: SecretStr) -> None:
    """Store (or replace) the token of ``sub_auth_id``, encrypted under the vault's primary key."""
    key_id, blob = vault.encrypt(token, context=sub_auth_id)
    with Session(engine) as session:
        row = session.get(SubAccountCredential, sub_auth_id) or SubAccountCredential(
            sub_auth_id=sub_auth_id, onboarding_id=onboarding_id, key_id=key_id, ciphertext=blob
        )
        row.key_id, row.ciphertext = key_id, blob
        session.add(row)
        session.commit()


def load(engine: Engine, vault: Vault, sub_auth_id: str) -> SecretStr | None:
    """The decrypted token of ``sub_auth_id``, or None when none is stored."""
    with Session(engine) as session:
        row = session.get(SubAccountCredential, sub_auth_id)
    return None if row is None else vault.decrypt(row.key_id, row.ciphertext, context=sub_auth_id)


def delete(engine: Engine, sub_auth_id: str) -> None:
    """Forget the token of ``sub_auth_id`` (idempotent)."""
    with Session(engine) as session:
        row = session.get(SubAccountCredential, sub_auth_id)
        if row is not None:
            session.delete(row)
            session.commit()


def rotate(engine: Engine, vault: Vault) -> int:
    """Re-encrypt every value not under the primary key; returns how many were re-encrypted.

    One row at a time while workers run: a row deleted or rewritten meanwhile is left alone.
    """
    with Session(engine) as session:
        statement = select(SubAccountCredential).where(
            col(SubAccountCredential.key_id) != vault.primary_key_id
        )
        stale = [(row.sub_auth_id, row.key_id, row.ciphertext) for row in session.exec(statement)]
    rotated = 0
    for sub_auth_id, key_id, ciphertext in stale:
        token = vault.decrypt(key_id, ciphertext, context=sub_auth_id)
        new_key_id, new_ciphertext = vault.encrypt(token, context=sub_auth_id)
        with engine.begin() as connection:
            changed = connection.execute(
                update(SubAccountCredential)
                .where(col(SubAccountCredential.sub_auth_id) == sub_auth_id)
                .where(col(SubAccountCredential.key_id) == key_id)
                .values(key_id=new_key_id, ciphertext=new_ciphertext)
            )
        rotated += changed.rowcount
    return rotated
