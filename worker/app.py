"""The worker: the onboarding, batch and customer lifecycle workflows and their activities on the
``onboarding`` task queue, and the reseller status callbacks on a pool of their own
(``onboarding-callbacks``)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

from temporalio.client import Client
from temporalio.common import MetricMeter
from temporalio.worker import PollerBehaviorSimpleMaximum, UnsandboxedWorkflowRunner, Worker

from activities.batches import BatchRows
from activities.callbacks import Callbacks
from activities.capacity import Capacity
from activities.cleanup import Cleanup
from activities.deps import ActivityDeps
from activities.lifecycle import Lifecycle
from activities.provisioning import Provisioning
from activities.records import Records
from callbacks.sender import CallbackSender
from config import Settings
from domain.onboarding import callback_task_queue
from providers import Providers
from store.db import make_engine
from store.vault import Vault
from telemetry.provider_metrics import ProviderMetrics
from workflows.batch import OnboardingBatch
from workflows.lifecycle import CustomerLifecycle
from workflows.onboarding import CustomerOnboarding
from workflows.redelivery import CallbackRedelivery

#: workflow task polls a worker keeps open: a fifth on the shared queue, the rest on its sticky queue
WORKFLOW_TASK_POLLS = 10
SHARED_QUEUE_POLL_RATIO = 0.2
#: how long a task waits on a worker's sticky queue before Temporal hands it to the shared queue
STICKY_SCHEDULE_TO_START = timedelta(seconds=30)


def build_deps(settings: Settings, meter: MetricMeter | None = None) -> ActivityDeps:
    """Provider clients (calls measured with ``meter``), database, vault and callbacks for one worker."""
    hooks = None if meter is None else ProviderMetrics(meter).hooks()
    return ActivityDeps(
        settings=settings,
        providers=Providers.from_settings(settings, hooks),
        engine=make_engine(settings.database_url),
        vault=Vault(settings.vault_keys),
        callbacks=CallbackSender.from_settings(settings),
        trunk_group_id=settings.carrier_trunk_group_id or None,
    )


def activity_methods(deps: ActivityDeps) -> list[Callable[..., Any]]:
    """Every activity the onboarding and batch workflows run, bound to ``deps``."""
    provisioning, cleanup, records, batch_rows, lifecycle = (
        Provisioning(deps),
        Cleanup(deps),
        Records(deps),
        BatchRows(deps),
        Lifecycle(deps),
    )
    return [
        provisioning.create_sub_account,
        provisioning.start_kyc_session,
        provisioning.check_kyc_session,
        provisioning.unblock_calls,
        provisioning.pick_numbers,
        provisioning.purchase_number,
        Capacity(deps).take_agent_slot,
        provisioning.create_agent,
        provisioning.buy_agent_numbers,
        cleanup.delete_agent_resources,
        cleanup.release_numbers,
        cleanup.delete_sub_account,
        records.mirror_state,
        records.record_audit,
        lifecycle.switch_carrier_sub_account,
        lifecycle.agent_attachments,
        lifecycle.detach_agent_numbers,
        lifecycle.attach_agent_numbers,
        batch_rows.start_batch_rows,
        batch_rows.mirror_batch,
        # callbacks scheduled here before they had a queue of their own (remove in the next release)
        Callbacks(deps).deliver_callback,
    ]


@asynccontextmanager
async def serving(client: Client, settings: Settings, deps: ActivityDeps) -> AsyncIterator[None]:
    """Run the onboarding worker and the callbacks worker of one process, sharing ``deps``, for the block."""
    async with create_worker(client, settings, deps), create_callback_worker(client, settings, deps):
        yield


def create_callback_worker(client: Client, settings: Settings, deps: ActivityDeps) -> Worker:
    """Status callbacks only, at most ``callback_max_concurrent`` at once: a slow or hostile reseller
    endpoint holds callback slots, never the provider calls' slots, and no provider rate limit applies."""
    callbacks = Callbacks(deps)
    return Worker(
        client,
        task_queue=callback_task_queue(settings.task_queue),
        activities=[callbacks.deliver_callback, callbacks.redeliver_callback],
        max_concurrent_activities=settings.callback_max_concurrent,
    )


def create_worker(client: Client, settings: Settings, deps: ActivityDeps | None = None) -> Worker:
    """The workflows and provider activities of ``settings.task_queue``; pass ``deps`` to share (and close)
    them yourself. Status callbacks need :func:`create_callback_worker` beside it."""
    return Worker(
        client,
        task_queue=settings.task_queue,
        workflows=[CustomerOnboarding, CallbackRedelivery, OnboardingBatch, CustomerLifecycle],
        activities=activity_methods(deps or build_deps(settings)),
        max_task_queue_activities_per_second=settings.provider_calls_per_second or None,
        max_concurrent_activities=settings.worker_max_concurrent_activities,
        # Two polls on the shared workflow queue, where every new onboarding's first task waits, and eight
        # on the worker's sticky queue, where the next task of every onboarding it has cached waits: when
        # Temporal falls behind, onboardings under way go first and new ones wait their turn at the shared
        # queue (no timeout there). Five and five let a burst of starts in faster than Temporal served the
        # onboardings under way: their sticky tasks waited past the sticky timeout, 3.6 timeouts each.
        workflow_task_poller_behavior=PollerBehaviorSimpleMaximum(maximum=WORKFLOW_TASK_POLLS),
        nonsticky_to_sticky_poll_ratio=SHARED_QUEUE_POLL_RATIO,
        # A sticky task waits this long for the worker that caches its workflow before it goes to the shared
        # queue. This worker keeps polling its sticky queue: a task waits there only while Temporal is
        # behind, and moving it gets it served no sooner, by the same worker, for a timeout event and the
        # full history sent again. A worker that is gone is caught otherwise: Temporal sends new tasks to the
        # shared queue once a sticky queue has had no poll for 10 s, and a worker that stops says so (SDK
        # core's ShutdownWorker); only tasks already queued for a killed worker wait up to this.
        sticky_queue_schedule_to_start_timeout=STICKY_SCHEDULE_TO_START,
        # Unsandboxed: the sandbox doubled the CPU of every activation and replay. The workflows do no
        # I/O and read time only through ``workflow.now()``; tests/workflows/test_replay.py guards that,
        # replaying recorded histories in the sandbox (which refuses what is not deterministic) and out.
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
