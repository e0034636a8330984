"""Which of the onboarding workflow's changes a run takes (Temporal patching), decided in its first task.

A patch checked right after a local activity can be recorded in the wrong workflow task. When a local
activity finishes in the instant its workflow task completes (the SDK heartbeats a task whose local
activity runs long, for one), the activity's marker closes that task while the code after it runs in the
next one, and so does the patch's marker. Replaying, the code after the activity runs in the first task,
where the patch's marker is not yet known: ``workflow.patched`` answers False, the old path is taken and
the replay fails (``Non-deprecated patch marker encountered``). The status mirror is a local activity, so
the ``kyc-reminders`` and ``agent-capacity`` checks, which follow one, were exposed to it.

A run that records :data:`BASELINE` in its first task takes every change listed here without checking
any of them later: nothing is decided after a local activity, and one marker stands for all of them. A run
started before the baseline decides each change where it always did, as its history says. A later change
is checked in the first task too (add it to :meth:`Patches.__init__`), never after a local activity.

Later changes ride on a new baseline instead of a marker each: a run that records :data:`FEWER_WRITES`
takes them and everything :data:`BASELINE` stands for, and records no other marker; a run from before it
finds :data:`BASELINE` (or none) in its history, as before.
"""

from __future__ import annotations

from temporalio import workflow

#: Patch, the second baseline: the run takes everything :data:`BASELINE` stands for, and writes fewer
#: status documents: none for its first status when its starter stored it (``OnboardingInput.recorded``),
#: none for the number that completes its numbers (the next status, in the same workflow task, carries it).
FEWER_WRITES = "baseline-fewer-status-writes"
#: Patch: the run takes every change below from its first task on.
BASELINE = "baseline-first-task"
#: Patch: a cleanup step that fails for good ends the onboarding ``failed`` (before: the workflow failed
#: with the document left ``cancelling``).
CLEANUP_FAILURE_ENDS_FAILED = "cleanup-failure-ends-failed"
#: Patch: an onboarding takes an agent-platform slot (in one of several master accounts) before it creates
#: its agent-platform sub-account, and waits in ``awaiting_agent_capacity`` while every account is full
#: (before: the ``default`` account only, and its limit failed the onboarding).
AGENT_CAPACITY = "agent-capacity"
#: Patch: one search-attribute upsert per status change, with the attributes it changes (the sub-account id
#: goes with the next status); none when the status is set again (before: every status change upserted
#: both statuses, and the sub-account id had an upsert of its own).
UPSERT_PER_STATUS_CHANGE = "one-upsert-per-status-change"
#: Patch: reminders before a hosted KYC session expires (before: none).
KYC_REMINDERS = "kyc-reminders"
#: The changes the baseline stands for: a run that recorded it takes every one of them, and no other.
BEFORE_BASELINE = frozenset(
    {CLEANUP_FAILURE_ENDS_FAILED, AGENT_CAPACITY, UPSERT_PER_STATUS_CHANGE, KYC_REMINDERS}
)


class Patches:
    """The changes a run takes; create it in the workflow's first task (its ``__init__``)."""

    def __init__(self) -> None:
        #: whether the run writes fewer status documents (:data:`FEWER_WRITES`)
        self.fewer_writes = workflow.patched(FEWER_WRITES)
        self._baseline = self.fewer_writes or workflow.patched(BASELINE)

    def taken(self, change: str) -> bool:
        """Whether the run takes ``change``, one of :data:`BEFORE_BASELINE`. Call it where the change was
        always checked: a run from before the baseline records or finds the change's own marker there.
        A later change is not one of them (a baseline run from before it must not take it on replay):
        decide it in ``__init__``."""
        if change not in BEFORE_BASELINE:
            raise ValueError(f"{change!r} came after the baseline: decide it in Patches.__init__")
        return self._baseline or workflow.patched(change)
