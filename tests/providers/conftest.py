"""Fixtures for the provider clients: clients against the session sandbox, and its test controls."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from providers import Providers
from providers.agent_models import AgentSubAccountCreate
from providers.errors import NotFound
from tests.support.processes import Sandbox

#: where the sandbox's KYC webhooks go in these tests: nothing listens there, deliveries just fail
NOWHERE = "http://127.0.0.1:9/webhooks/kyc"


class SandboxControl:
    """The sandbox's ``/_sandbox/`` test controls."""

    def __init__(self, http: httpx.AsyncClient) -> None:
        self._http = http

    async def set_faults(self, **faults: Any) -> None:
        """Inject faults: ``error_rate``, ``rate_limit_rate``, ``drop_response_rate``, ``latency_ms``..."""
        (await self._http.put("/_sandbox/faults", json=faults)).raise_for_status()

    async def clear_faults(self) -> None:
        """Back to a well-behaved provider."""
        (await self._http.delete("/_sandbox/faults")).raise_for_status()

    async def complete_kyc(self, session_id: str, outcome: str) -> None:
        """Finish a hosted KYC session as the customer would."""
        response = await self._http.post(
            f"/_sandbox/kyc-sessions/{session_id}/complete", json={"outcome": outcome}
        )
        response.raise_for_status()

    async def expire_kyc(self, session_id: str) -> None:
        """Let a hosted KYC session expire now."""
        (await self._http.post(f"/_sandbox/kyc-sessions/{session_id}/expire")).raise_for_status()

    async def state(self) -> dict[str, Any]:
        """Resource counts."""
        response = await self._http.get("/_sandbox/state")
        response.raise_for_status()
        state: dict[str, Any] = response.json()
        return state


def unique(prefix: str) -> str:
    """A name no other test uses (the sandbox is shared by the whole session)."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
async def providers(sandbox: Sandbox) -> AsyncIterator[Providers]:
    """Both clients pointed at the session sandbox."""
    clients = Providers.from_settings(sandbox.settings)
    yield clients
    await clients.aclose()


@pytest.fixture
async def control(sandbox: Sandbox) -> AsyncIterator[SandboxControl]:
    """Test controls; faults are cleared afterwards whatever happened, since the sandbox is shared."""
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=10.0) as http:
        ctl = SandboxControl(http)
        try:
            yield ctl
        finally:
            await ctl.clear_faults()


@pytest.fixture
async def agent_sub_account(providers: Providers) -> AsyncIterator[str]:
    """A fresh agent-platform sub-account, deleted afterwards (the platform caps them per master account)."""
    name = unique("agents")
    created = await providers.agents.create_sub_account(AgentSubAccountCreate(name=name), unique("key"))
    yield created.id
    with contextlib.suppress(NotFound):
        await providers.agents.delete_sub_account(created.id)
