"""Fixtures shared by every suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import Sandbox, run_sandbox


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One provider sandbox for the whole session (tests use distinct references, so they do not clash)."""
    with run_sandbox(Path(tmp_path_factory.mktemp("sandbox"))) as running:
        yield running
