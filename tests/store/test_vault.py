"""The credentials vault: encryption at rest, key ids, rotation, no key material in errors."""

from __future__ import annotations

import base64

import pytest
from pydantic import SecretStr
from sqlalchemy.engine import Engine
from sqlmodel import Session

from store import credentials
from store.models import SubAccountCredential
from store.vault import Vault, VaultError

OLD = "old:" + base64.b64encode(b"o" * 32).decode()
NEW = "new:" + base64.b64encode(b"n" * 32).decode()
TOKEN = SecretStr("sa-token-7f3a9c")


def test_token_is_stored_encrypted_and_read_back(engine: Engine) -> None:
    vault = Vault(SecretStr(OLD))
    credentials.save(engine, vault, sub_auth_id="SA_1", onboarding_id="onboarding-a", token=TOKEN)
    with Session(engine) as session:
        row = session.get(SubAccountCredential, "SA_1")
    assert row is not None and row.key_id == "old"
    assert b"sa-token-7f3a9c" not in row.ciphertext
    loaded = credentials.load(engine, vault, "SA_1")
    assert loaded is not None and loaded.get_secret_value() == TOKEN.get_secret_value()


def test_value_is_bound_to_its_sub_account(engine: Engine) -> None:
    vault = Vault(SecretStr(OLD))
    key_id, blob = vault.encrypt(TOKEN, context="SA_1")
    with pytest.raises(VaultError):
        vault.decrypt(key_id, blob, context="SA_2")


def test_rotation_re_encrypts_under_the_new_primary_key(engine: Engine) -> None:
    credentials.save(engine, Vault(SecretStr(OLD)), sub_auth_id="SA_1", onboarding_id="o", token=TOKEN)
    rotated_vault = Vault(SecretStr(f"{NEW},{OLD}"))
    assert credentials.rotate(engine, rotated_vault) == 1
    assert credentials.rotate(engine, rotated_vault) == 0
    only_new = Vault(SecretStr(NEW))
    loaded = credentials.load(engine, only_new, "SA_1")
    assert loaded is not None and loaded.get_secret_value() == TOKEN.get_secret_value()


def test_a_missing_key_is_named_without_key_material(engine: Engine) -> None:
    credentials.save(engine, Vault(SecretStr(OLD)), sub_auth_id="SA_1", onboarding_id="o", token=TOKEN)
    with pytest.raises(VaultError) as raised:
        credentials.load(engine, Vault(SecretStr(NEW)), "SA_1")
    assert "'old'" in str(raised.value)
    assert NEW.split(":")[1] not in str(raised.value)


@pytest.mark.parametrize("ring", ["nokid", "k1:not base64!", "k1:" + base64.b64encode(b"short").decode()])
def test_bad_key_rings_are_refused_clearly(ring: str) -> None:
    with pytest.raises(VaultError) as raised:
        Vault(SecretStr(ring))
    key_material = ring.partition(":")[2]
    assert not key_material or key_material not in str(raised.value)


def test_delete_is_idempotent(engine: Engine) -> None:
    credentials.save(engine, Vault(SecretStr(OLD)), sub_auth_id="SA_1", onboarding_id="o", token=TOKEN)
    credentials.delete(engine, "SA_1")
    credentials.delete(engine, "SA_1")
    assert credentials.load(engine, Vault(SecretStr(OLD)), "SA_1") is None
