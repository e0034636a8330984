"""A provider token with a trailing newline never shows in clear: not in the activity's failure (message,
stack trace, causes) in the raw or decoded workflow history, not in the worker's logs, not in a database
error, not in the API's answers about the onboarding it failed (which name no master account id either).
Settings strip such a token; a token reaching a client by another way (the vault, a provider's answer) is
what this drives."""

from __future__ import annotations

import dataclasses
import logging
import shutil
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from temporalio import activity, workflow
from temporalio.client import WorkflowFailureError
from temporalio.common import RetryPolicy
from temporalio.testing import WorkflowEnvironment
from temporalio.worker import UnsandboxedWorkflowRunner, Worker

from config import Settings
from providers import Providers
from providers.carrier import CarrierClient
from providers.errors import InvalidRequest, Unavailable
from store.db import make_engine
from tests.api.harness import address_of, api_settings, onboarding_body, run_api
from tests.security.keyrings import OLD
from tests.support.processes import Sandbox
from worker.app import build_deps, create_worker
from worker.client import data_converter, ensure_search_attributes

STEM = "carrier-token-7f3a9c2e51d4"
TOKEN = STEM + "\n"
#: the master account id, which error messages show as ``{auth_id}``
MASTER = "MA_MASTER7F3A9C2E51"
ROUTE = "GET /api/v1/accounts/{auth_id}/sub-accounts/"
REFUSED = f"{ROUTE} -> not sent: header X-Auth-Token is not printable ASCII"


def _assert_hidden(text: str) -> None:
    assert STEM not in text


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    path = shutil.which("temporal-test-server")
    assert path, "temporal-test-server is installed by the test extras"
    settings = Settings(_env_file=None, codec_keys=SecretStr(OLD))
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=path, data_converter=data_converter(settings)
    ) as environment:
        yield environment


def _carrier(http: httpx.AsyncClient, base_url: str) -> CarrierClient:
    """The master account's client holding the token with a trailing newline."""
    return CarrierClient(http, base_url=base_url, auth_id=MASTER, auth_token=SecretStr(TOKEN))


class _Lists:
    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    @activity.defn(name="list_with_newline_token")
    async def list_sub_accounts(self) -> None:
        async with httpx.AsyncClient() as http:
            await _carrier(http, self.base_url).list_sub_accounts()


@workflow.defn(sandboxed=False)
class _ListOnce:
    @workflow.run
    async def run(self) -> None:
        await workflow.execute_activity(
            "list_with_newline_token",
            start_to_close_timeout=timedelta(seconds=10),
            retry_policy=RetryPolicy(maximum_attempts=1),
        )


def test_settings_strip_a_trailing_newline_and_refuse_one_inside() -> None:
    assert (
        Settings(_env_file=None, carrier_auth_token=SecretStr(TOKEN)).carrier_auth_token.get_secret_value()
        == STEM
    )
    with pytest.raises(ValueError) as raised:
        Settings(_env_file=None, carrier_auth_token=SecretStr(f"{STEM}\nX: 1"))
    _assert_hidden(str(raised.value))


async def test_a_transport_error_names_the_class_and_path_only() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError(f"refused {request.headers['X-Auth-Token']!r}", request=request)

    async with httpx.AsyncClient(transport=httpx.MockTransport(refuse)) as http:
        carrier = CarrierClient(
            http, base_url="https://c.example/api/v1", auth_id="MA_X", auth_token=SecretStr(STEM)
        )
        with pytest.raises(Unavailable) as raised:
            await carrier.list_sub_accounts()
    assert str(raised.value) == f"{ROUTE} -> ConnectError"
    assert raised.value.__cause__ is None and raised.value.__context__ is None


async def test_a_header_unsafe_token_is_refused_before_sending(sandbox: Sandbox) -> None:
    sent: list[httpx.Request] = []

    async def record(request: httpx.Request) -> None:
        sent.append(request)

    async with httpx.AsyncClient(event_hooks={"request": [record]}) as http:
        carrier = CarrierClient(
            http, base_url=f"{sandbox.url}/api/v1", auth_id="MA_SANDBOX00000001", auth_token=SecretStr(TOKEN)
        )
        with pytest.raises(InvalidRequest) as raised:
            await carrier.list_sub_accounts()
    assert str(raised.value) == REFUSED and sent == []
    assert raised.value.__cause__ is None and raised.value.__context__ is None


async def test_history_and_logs_never_show_the_token(
    env: WorkflowEnvironment, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    queue = f"failures-{uuid.uuid4().hex[:8]}"
    lists = _Lists(f"{sandbox.url}/api/v1")
    async with Worker(
        env.client,
        task_queue=queue,
        workflows=[_ListOnce],
        activities=[lists.list_sub_accounts],
        workflow_runner=UnsandboxedWorkflowRunner(),
    ):
        handle = await env.client.start_workflow(_ListOnce.run, id=queue, task_queue=queue)
        with pytest.raises(WorkflowFailureError) as raised:
            await handle.result()

    decoded: BaseException | None = raised.value.cause
    messages = []
    while decoded is not None:
        messages.append(str(decoded))
        decoded = decoded.__cause__
    assert any(REFUSED in message for message in messages), messages  # the codec decodes failures
    _assert_hidden(" ".join(messages))

    history = await handle.fetch_history()
    raw = history.to_json()
    assert "Encoded failure" in raw and "not printable" not in raw  # message and stack trace encrypted
    _assert_hidden(raw)
    assert "list_with_newline_token" in caplog.text  # the worker logged the failed activity
    _assert_hidden(caplog.text)


async def test_api_answers_about_the_failed_onboarding_show_neither_token_nor_master_account(
    env: WorkflowEnvironment, sandbox: Sandbox, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    await ensure_search_attributes(env.client)
    settings = api_settings(
        tmp_path, address_of(env), codec_keys=SecretStr(OLD), task_queue=f"failures-{uuid.uuid4().hex[:8]}"
    )
    deps = build_deps(settings)
    http = deps.providers.http
    providers = Providers(
        http=http, carrier=_carrier(http, f"{sandbox.url}/api/v1"), agents=deps.providers.agents
    )
    deps = dataclasses.replace(deps, providers=providers)
    with run_api(settings) as api:
        async with create_worker(env.client, settings, deps), api.async_client() as client:
            started = await client.post("/v1/onboardings", json=onboarding_body("newline-token"))
            assert started.status_code == 202, started.text
            onboarding_id = started.json()["id"]
            with pytest.raises(WorkflowFailureError):
                await env.client.get_workflow_handle(onboarding_id).result()
            document = await client.get(f"/v1/onboardings/{onboarding_id}")
            listed = await client.get("/v1/onboardings")
    await deps.aclose()

    error = document.json()["error"]
    assert error["type"] == "cleanup_failed"  # the same bad token kept the cleanup from reaching the carrier
    assert error["message"].endswith("not sent: header X-Auth-Token is not printable ASCII")
    assert "/accounts/{auth_id}/" in error["message"]  # the path named the master account: hidden
    assert onboarding_id in listed.text
    for answer in (document.text, listed.text, caplog.text):
        _assert_hidden(answer)
        assert MASTER not in answer


def test_database_errors_hide_bound_parameters(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'hidden.db'}")
    try:
        with pytest.raises(SQLAlchemyError) as raised, engine.connect() as connection:
            connection.execute(text("SELECT :token FROM no_such_table"), {"token": TOKEN})
    finally:
        engine.dispose()
    assert "no_such_table" in str(raised.value)
    _assert_hidden(str(raised.value))
