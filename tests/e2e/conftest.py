"""One real stack (``onboard dev`` on free ports) shared by the end-to-end suites."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.stack import Stack, run_stack


@pytest.fixture(scope="package")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    """The whole stack, started once for the package."""
    with run_stack(Path(tmp_path_factory.mktemp("stack"))) as running:
        yield running
