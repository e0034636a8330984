"""Fixtures shared by every suite."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import Sandbox, run_sandbox


@pytest.fixture(scope="session")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One provider sandbox for the whole session (tests use distinct references, so they do not clash).

    Its agent platform holds far more than the provider's 25 sub-accounts per master account, as the whole
    session's tests create theirs in it; the limit itself is tested on sandboxes of its own."""
    with run_sandbox(
        Path(tmp_path_factory.mktemp("sandbox")), sandbox_agent_sub_account_limit="10000"
    ) as running:
        yield running
