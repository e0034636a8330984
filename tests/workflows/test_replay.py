"""Histories recorded from real runs of the development stack replay without nondeterminism.

Recorded with ``temporal workflow show --workflow-id ID --output json`` (payloads encrypted with the
development codec key); the agent-capacity ones (an account the platform says is full skipped, and an
onboarding that waited in ``awaiting_agent_capacity`` until a slot was freed) from the time-skipping test
server, as ``tests/workflows/test_agent_capacity.py`` runs them (``WorkflowHistory.to_json``); the
``*-baseline`` ones, since the ``baseline-first-task`` patch, from ``test_onboarding_workflow.py``'s
runs, and the ``*-fewer-writes`` ones, since the ``baseline-fewer-status-writes`` patch, from the
harness of ``tests/workflows`` starting them as the API does (their record stored first). Before
deploying a change to the workflow, this test must still pass; record new histories for new paths.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner, WorkflowRunner
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from config import Settings
from tests.support.histories import boundary_failures, local_activity_markers
from worker.client import data_converter
from workflows.batch import OnboardingBatch
from workflows.lifecycle import CustomerLifecycle
from workflows.onboarding import CustomerOnboarding

RECORDED = {
    path.stem: path.read_text() for path in sorted((Path(__file__).parent / "histories").glob("*.json"))
}


#: as the worker runs the workflow, and in the sandbox, which refuses what is not deterministic (the clock,
#: randomness, I/O) on every path recorded
RUNNERS: dict[str, WorkflowRunner] = {
    "unsandboxed": UnsandboxedWorkflowRunner(),
    "sandboxed": SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules("email_validator", "idna")
    ),
}


@pytest.mark.parametrize("runner", sorted(RUNNERS))
@pytest.mark.parametrize("name", sorted(RECORDED))
async def test_recorded_history_replays(name: str, runner: str) -> None:
    history = WorkflowHistory.from_json(name, RECORDED[name])
    replayer = Replayer(
        workflows=[CustomerOnboarding, OnboardingBatch, CustomerLifecycle],
        data_converter=data_converter(Settings()),
        workflow_runner=RUNNERS[runner],
    )
    result = await replayer.replay_workflow(history)
    assert result.replay_failure is None


@pytest.mark.parametrize(
    "name", sorted(name for name in RECORDED if name.endswith(("-baseline", "-fewer-writes")))
)
async def test_a_baseline_history_replays_however_its_status_writes_fall(name: str) -> None:
    """Recorded since the ``baseline-first-task`` patch (or the second baseline): moving the workflow task
    boundary to just after any status write's marker (as the SDK records a local activity finishing as its
    task completes) changes no decision."""
    history = WorkflowHistory.from_json(name, RECORDED[name])
    replayer = Replayer(workflows=[CustomerOnboarding], data_converter=data_converter(Settings()))
    assert local_activity_markers(history), "status writes recorded"
    assert await boundary_failures(replayer, history) == {}


def test_the_main_paths_are_recorded() -> None:
    assert set(RECORDED) >= {
        "completed-approved",
        "completed-after-restart",
        "cancelled-awaiting-kyc",
        "completed-personal-use",
        "completed-email-flow",
        "completed-redirect-with-progress",
        "completed-agent-platform-numbers",
        "completed-account-full-skipped",
        "completed-after-awaiting-agent-capacity",
        "batch-paused-resumed-completed",
        "batch-cancelled",
        "completed-one-upsert-per-change",
        "cancelled-one-upsert-per-change",
        "customer-suspended-resumed-offboarded",
        "completed-after-restart-baseline",
        "cancelled-awaiting-kyc-baseline",
        "completed-fewer-writes",
        "cancelled-awaiting-kyc-fewer-writes",
    }
