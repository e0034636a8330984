"""``onboard vault rotate`` as an operator runs it after putting a new vault key first."""

from __future__ import annotations

from pydantic import SecretStr

from store import credentials, migrate
from store.db import make_engine
from store.vault import Vault
from tests.security.test_keys_cli import database_url, onboard
from tests.store.test_vault import NEW, OLD, TOKEN

__all__ = ["database_url"]


def test_rotate_re_encrypts_under_the_new_key_once(database_url: str) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    credentials.save(engine, Vault(SecretStr(OLD)), sub_auth_id="SA_1", onboarding_id="o", token=TOKEN)

    first = onboard(database_url, "vault", "rotate", vault_keys=f"{NEW},{OLD}")
    again = onboard(database_url, "vault", "rotate", vault_keys=f"{NEW},{OLD}")

    assert first.returncode == 0 and "re-encrypted 1 credential(s) under key new" in first.stdout
    assert again.returncode == 0 and "re-encrypted 0" in again.stdout
    loaded = credentials.load(engine, Vault(SecretStr(NEW)), "SA_1")  # the old key is no longer needed
    assert loaded is not None and loaded.get_secret_value() == TOKEN.get_secret_value()
    engine.dispose()


def test_a_ring_without_the_old_key_exits_1_naming_it_without_key_material(database_url: str) -> None:
    migrate.upgrade(database_url)
    engine = make_engine(database_url)
    credentials.save(engine, Vault(SecretStr(OLD)), sub_auth_id="SA_1", onboarding_id="o", token=TOKEN)
    engine.dispose()

    result = onboard(database_url, "vault", "rotate", vault_keys=NEW)

    assert result.returncode == 1 and "'old'" in result.stderr
    assert NEW.split(":")[1] not in result.stderr + result.stdout
    assert TOKEN.get_secret_value() not in result.stderr + result.stdout
