"""Credentials never leak into what ends up in logs: reprs, error messages (not even the master account id),
chained causes, log records."""

from __future__ import annotations

import logging
from collections.abc import Awaitable

import httpx
import pytest
from pydantic import SecretStr

from providers import Providers
from providers.agent_models import AgentSubAccountCreate
from providers.agents import AgentPlatformClient
from providers.carrier import CarrierClient
from providers.carrier_models import SubAccountCreate
from providers.errors import InvalidRequest, NotFound, ProviderError, RateLimited, Unavailable
from tests.providers.conftest import SandboxControl, unique
from tests.support.processes import Sandbox

WRONG_TOKEN = "wrong-token-d41d8cd98f00"


def assert_leaks_nothing(error: BaseException, *secrets: str) -> None:
    """Neither ``error`` nor anything chained to it shows a secret in its str or repr."""
    seen: BaseException | None = error
    while seen is not None:
        for secret in secrets:
            assert secret not in str(seen) and secret not in repr(seen), type(seen).__name__
        seen = seen.__cause__ or seen.__context__


def secrets_of(sandbox: Sandbox) -> tuple[str, str]:
    settings = sandbox.settings
    return settings.carrier_auth_token.get_secret_value(), settings.agents_api_key.get_secret_value()


async def test_clients_show_only_their_base_url(providers: Providers, sandbox: Sandbox) -> None:
    for shown in (repr(providers), repr(providers.carrier), repr(providers.agents), str(providers)):
        for secret in secrets_of(sandbox):
            assert secret not in shown
    assert repr(providers.carrier) == f"CarrierClient(base_url={sandbox.url + '/api/v1'!r})"
    assert repr(providers.agents) == f"AgentPlatformClient(base_url={sandbox.url + '/v1'!r})"


async def test_rejected_credentials_are_not_echoed(providers: Providers, sandbox: Sandbox) -> None:
    carrier = CarrierClient(
        providers.http,
        base_url=f"{sandbox.url}/api/v1",
        auth_id="MA_SANDBOX00000001",
        auth_token=SecretStr(WRONG_TOKEN),
    )
    agents = AgentPlatformClient(providers.http, base_url=f"{sandbox.url}/v1", api_key=SecretStr(WRONG_TOKEN))

    with pytest.raises(InvalidRequest) as carrier_error:
        await carrier.list_sub_accounts()
    with pytest.raises(InvalidRequest) as agents_error:
        await agents.list_sub_accounts()

    for caught in (carrier_error, agents_error):
        assert type(caught.value) is InvalidRequest and caught.value.status_code in (401, 403)
        assert "provider rejected our credentials" in str(caught.value)
        assert_leaks_nothing(caught.value, WRONG_TOKEN)


async def test_errors_of_every_kind_leak_no_credentials(
    providers: Providers, control: SandboxControl, sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    impatient = Providers.from_settings(sandbox.settings.model_copy(update={"provider_timeout_s": 0.2}))
    errors: list[ProviderError] = []

    async def collect(call: Awaitable[object]) -> None:
        try:
            await call
        except ProviderError as error:
            errors.append(error)

    try:
        await collect(providers.carrier.get_sub_account("SA_NOSUCHACCOUNT"))
        await collect(providers.agents.delete_sub_account("no-such-sub-account"))
        await collect(
            providers.carrier.create_sub_account(
                SubAccountCreate.model_construct(name="x", kyc_mode="customer_use"), unique("k")
            )
        )
        await control.set_faults(rate_limit_rate=1.0, retry_after_s=1, routes=["/v1/sub-accounts"])
        await collect(
            providers.agents.create_sub_account(AgentSubAccountCreate(name=unique("agents")), unique("k"))
        )
        await control.set_faults(error_rate=1.0, routes=["/api/v1/"])
        await collect(providers.carrier.list_sub_accounts())
        await control.set_faults(drop_response_rate=1.0, routes=["/api/v1/"])
        await collect(
            providers.carrier.create_sub_account(SubAccountCreate(name=unique("drop")), unique("k"))
        )
        await control.set_faults(latency_ms=1000, routes=["/v1/"])
        await collect(impatient.agents.list_sub_accounts())
    finally:
        await impatient.aclose()

    kinds = {type(error) for error in errors}
    assert {NotFound, InvalidRequest, RateLimited, Unavailable} <= kinds and len(errors) == 7
    for error in errors:
        assert_leaks_nothing(error, *secrets_of(sandbox), sandbox.settings.carrier_auth_id)
    assert "HTTP Request: POST" in caplog.text  # the client's own logging was on
    for secret in secrets_of(sandbox):
        assert secret not in caplog.text


async def test_an_echoed_token_or_master_id_is_hidden() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        said = (
            f"token {request.headers['X-Auth-Token']} of {request.headers['X-Auth-ID']} owns no such number"
        )
        return httpx.Response(404, json={"error": {"type": "not_found", "message": said}})

    async with httpx.AsyncClient(transport=httpx.MockTransport(echo)) as http:
        carrier = CarrierClient(
            http, base_url="https://c.example/api/v1", auth_id="MA_ECHO", auth_token=SecretStr(WRONG_TOKEN)
        )
        with pytest.raises(NotFound) as caught:
            await carrier.release_number("+918000000001")

    assert str(caught.value) == (
        "DELETE /api/v1/Account/{auth_id}/numbers/+918000000001 -> 404: "
        "token <auth token> of {auth_id} owns no such number"
    )


async def test_an_echoed_agent_platform_key_is_hidden() -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(404, json={"detail": f"no agent for {request.headers['Authorization']}"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(echo)) as http:
        agents = AgentPlatformClient(http, base_url="https://a.example/v1", api_key=SecretStr(WRONG_TOKEN))
        with pytest.raises(NotFound) as caught:
            await agents.get_agent("sub_1", "agent_1")

    assert str(caught.value) == "GET /v1/agents/agent_1 -> 404: no agent for Bearer <api key>"
