"""The official Vobiz SDK (``vobiz-python==0.1.1``) pointed at the session sandbox over loopback HTTP.

The SDK hardcodes its base URL as the module constant ``VOBIZ_API_V1`` of each resource module: patched
here. Every answer the SDK gets is recorded, so tests can assert it saw only 2xx.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
from vobiz import RestClient
from vobiz.resources import numbers, subaccounts

from tests.support.processes import Sandbox


@dataclass
class Sdk:
    """The SDK client and the ``(method, path, status)`` of every answer it received."""

    client: Any
    answers: list[tuple[str, str, int]] = field(default_factory=list)


@pytest.fixture
def sdk(sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Sdk]:
    """The official SDK with the master account's credentials, talking to the sandbox."""
    for module in (subaccounts, numbers):
        monkeypatch.setattr(module, "VOBIZ_API_V1", f"{sandbox.url}/api/v1")
    settings = sandbox.settings
    client = RestClient(settings.carrier_auth_id, settings.carrier_auth_token.get_secret_value())
    recorded = Sdk(client)

    def record(response: requests.Response, *_args: object, **_kwargs: object) -> None:
        request = response.request
        recorded.answers.append((str(request.method), str(request.path_url), response.status_code))

    client.session.hooks["response"].append(record)
    with client:
        yield recorded
