"""The official AgentPhone SDK (``agentphone==0.20.3``) against the session's sandbox over loopback HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from agentphone import AgentPhone  # type: ignore[import-untyped]

from config import DEV_AGENTS_API_KEY
from tests.support.processes import Sandbox


def unique(prefix: str) -> str:
    """A name no other test uses (the sandbox lives for the whole session)."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def sdk(sandbox: Sandbox, sub_account_id: str | None = None) -> AgentPhone:
    """An SDK client with the master key, targeting ``sub_account_id`` if given."""
    client = AgentPhone(api_key=DEV_AGENTS_API_KEY, base_url=sandbox.url, timeout=10.0)
    if sub_account_id is not None:
        client._session.headers["X-Sub-Account-Id"] = sub_account_id
    return client


@pytest.fixture
def phone(sandbox: Sandbox) -> Iterator[AgentPhone]:
    """The master account's SDK client."""
    with sdk(sandbox) as client:
        yield client


@pytest.fixture
def scoped(sandbox: Sandbox, phone: AgentPhone) -> Iterator[AgentPhone]:
    """An SDK client targeting a fresh sub-account, deleted afterwards."""
    sub_account_id = phone.sub_accounts.create(name=unique("contract"))["id"]
    with sdk(sandbox, sub_account_id) as client:
        yield client
    phone.sub_accounts.delete(sub_account_id)
