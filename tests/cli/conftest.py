"""Fixtures of the CLI suite: a dev server and an API the ``onboard`` subprocesses talk to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.api.harness import RunningApi, address_of, api_settings, run_api, temporal

__all__ = ["temporal"]


@pytest.fixture(scope="module")
def api(temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    """An API for this module (own database); its workflows are started but no worker runs them."""
    with run_api(api_settings(tmp_path_factory.mktemp("api"), address_of(temporal))) as running:
        yield running
