"""Provider faults become errors a caller can act on; only requests safe to repeat are retried at once."""

from __future__ import annotations

import httpx
import pytest
from pydantic import SecretStr

from providers import Providers
from providers.carrier import CarrierClient
from providers.carrier_models import SubAccountCreate
from providers.errors import RateLimited, Unavailable
from providers.http import QUICK_RETRIES
from tests.providers.conftest import SandboxControl, unique
from tests.support.processes import Sandbox, free_port

SUB_ACCOUNTS = "/api/v1/accounts/"


def customer(name: str) -> SubAccountCreate:
    return SubAccountCreate(name=name, email="owner@acme.example", kyc_mode="customer_use")


async def test_rate_limit_carries_retry_after(providers: Providers, control: SandboxControl) -> None:
    await control.set_faults(rate_limit_rate=1.0, retry_after_s=7, routes=[SUB_ACCOUNTS])

    with pytest.raises(RateLimited) as caught:
        await providers.carrier.list_sub_accounts()

    assert caught.value.retry_after == 7 and caught.value.status_code == 429
    assert str(caught.value).startswith("GET /api/v1/accounts/{auth_id}/sub-accounts/ -> 429")


async def test_server_errors_are_unavailable(providers: Providers, control: SandboxControl) -> None:
    await control.set_faults(error_rate=1.0, routes=[SUB_ACCOUNTS])

    with pytest.raises(Unavailable) as caught:
        await providers.carrier.list_sub_accounts()

    assert caught.value.status_code is not None and caught.value.status_code >= 500


async def test_faults_only_hit_their_routes(providers: Providers, control: SandboxControl) -> None:
    await control.set_faults(error_rate=1.0, routes=[SUB_ACCOUNTS])

    assert isinstance(await providers.agents.list_sub_accounts(), list)


async def test_a_dropped_create_is_not_repeated_and_a_look_up_finds_it(
    providers: Providers, control: SandboxControl
) -> None:
    body = customer(unique("dropped"))
    before = (await control.state())["sub_accounts"]
    await control.set_faults(drop_response_rate=1.0, routes=[SUB_ACCOUNTS])

    with pytest.raises(Unavailable):
        await providers.carrier.create_sub_account(body, unique("key"))

    await control.clear_faults()
    assert (await control.state())["sub_accounts"] == before + 1  # sent once: a POST is never retried here
    committed = await providers.carrier.find_sub_account_by_name(body.name)
    assert committed is not None  # the change happened although we never saw the answer


def flaky(seen: list[httpx.Request]) -> CarrierClient:
    """A client whose provider answers every request 503, recording what it was sent."""

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503, json={"error": {"type": "unavailable", "message": "busy"}})

    http = httpx.AsyncClient(transport=httpx.MockTransport(answer))
    return CarrierClient(
        http, base_url="https://carrier.example/api/v1", auth_id="MA_X", auth_token=SecretStr("t")
    )


async def test_quick_retries_repeat_reads_and_deletes_never_a_post() -> None:
    seen: list[httpx.Request] = []
    carrier = flaky(seen)

    with pytest.raises(Unavailable):
        await carrier.create_sub_account(SubAccountCreate(name="once"), idempotency_key="key-1")
    assert [(r.method, r.headers.get("Idempotency-Key")) for r in seen] == [("POST", "key-1")]
    with pytest.raises(Unavailable):
        await carrier.purchase_number("+918000000001")
    assert len(seen) == 2 and "Idempotency-Key" not in seen[-1].headers

    seen.clear()
    with pytest.raises(Unavailable):
        await carrier.get_sub_account("SA_X")
    with pytest.raises(Unavailable):
        await carrier.unassign_number_from_sub_account("+918000000001")
    assert [r.method for r in seen] == ["GET"] * (QUICK_RETRIES + 1) + ["DELETE"] * (QUICK_RETRIES + 1)


async def test_a_slow_provider_times_out_as_unavailable(sandbox: Sandbox, control: SandboxControl) -> None:
    impatient = Providers.from_settings(sandbox.settings.model_copy(update={"provider_timeout_s": 0.2}))
    await control.set_faults(latency_ms=1500, routes=[SUB_ACCOUNTS])
    try:
        with pytest.raises(Unavailable) as caught:
            await impatient.carrier.list_sub_accounts()
    finally:
        await impatient.aclose()

    assert str(caught.value).endswith("-> ReadTimeout")  # the class only: its text may quote the request
    assert caught.value.__cause__ is None and caught.value.status_code is None


async def test_nobody_listening_is_unavailable(providers: Providers) -> None:
    gone = CarrierClient(
        providers.http,
        base_url=f"http://127.0.0.1:{free_port()}/api/v1",
        auth_id="MA_X",
        auth_token=SecretStr("t"),
    )

    with pytest.raises(Unavailable, match="ConnectError"):
        await gone.list_sub_accounts()
