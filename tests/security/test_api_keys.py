"""Reseller API keys: only the exact, unrevoked key authenticates; reseller names are slugs."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from store import api_keys, migrate
from store.db import make_engine
from store.models import ApiKey


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    """An empty database."""
    url = f"sqlite:///{tmp_path / 'keys.db'}"
    migrate.upgrade(url)
    return make_engine(url)


def test_the_key_authenticates_as_its_reseller_and_is_stored_hashed(engine: Engine) -> None:
    key = api_keys.create(engine, "acme")
    assert api_keys.authenticate(engine, key) == "acme"
    with Session(engine) as session:
        stored = session.exec(select(ApiKey)).one()
    assert key.split("_", 2)[2] not in stored.key_hash


def test_the_right_prefix_with_a_wrong_secret_fails(engine: Engine) -> None:
    key = api_keys.create(engine, "acme")
    prefix, secret = key.removeprefix("onb_").split("_", 1)
    wrong = "A" if secret[0] != "A" else "B"
    assert api_keys.authenticate(engine, f"onb_{prefix}_{wrong}{secret[1:]}") is None


@pytest.mark.parametrize("presented", ["", "onb_", "Bearer x", "onb_short_secret", "onb_zzzzzzzzzzzz_"])
def test_malformed_keys_fail(engine: Engine, presented: str) -> None:
    api_keys.create(engine, "acme")
    assert api_keys.authenticate(engine, presented) is None


def test_a_key_with_extra_characters_fails(engine: Engine) -> None:
    key = api_keys.create(engine, "acme")
    assert api_keys.authenticate(engine, key + "\n") is None
    assert api_keys.authenticate(engine, " " + key) is None


@pytest.mark.parametrize("reseller", ["", "Acme", "acme corp", "-acme", "a" * 64, "acme/../x"])
def test_invalid_reseller_names_are_rejected(engine: Engine, reseller: str) -> None:
    with pytest.raises(api_keys.InvalidReseller):
        api_keys.create(engine, reseller)
    assert api_keys.list_keys(engine) == []
