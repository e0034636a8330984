"""A fresh SQLite database per test."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.engine import Engine

from store.db import create_schema, make_engine


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    """An empty, migrated database in ``tmp_path``."""
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    create_schema(engine)
    return engine
