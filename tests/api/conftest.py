"""Fixtures of the API suite: a dev server and an API whose workflows wait on a queue no worker polls."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from temporalio.testing import WorkflowEnvironment

from tests.api.harness import RunningApi, address_of, api_settings, run_api, temporal, temporal_client

__all__ = ["temporal", "temporal_client"]


@pytest.fixture(scope="module")
def api(temporal: WorkflowEnvironment, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApi]:
    """An API for this module (own database); its workflows are started but no worker runs them."""
    with run_api(api_settings(tmp_path_factory.mktemp("api"), address_of(temporal))) as running:
        yield running
