"""The status mirror: the workflow's status document, copied into the database at each step."""

from __future__ import annotations

import asyncio

from temporalio import activity

from activities.deps import ActivityDeps
from activities.models import MirrorState
from domain.lifecycle import AuditEntry
from store import audit, onboardings


def _callback_url(step: MirrorState) -> str | None:
    return None if step.request is None else step.request.callback_url


class Records:
    """Database writes the workflow asks for."""

    def __init__(self, deps: ActivityDeps) -> None:
        self._deps = deps

    @activity.defn
    async def mirror_state(self, step: MirrorState) -> None:
        """Save the status document; creates the record when the onboarding was not started by the API."""
        await asyncio.to_thread(self._mirror, step)

    def _mirror(self, step: MirrorState) -> None:
        engine = self._deps.engine
        try:
            onboardings.save_state(engine, step.state, _callback_url(step))
        except onboardings.RecordMissing:
            if step.request is None:
                raise
            # started outside the API (CLI, Temporal UI): the first step creates the record
            onboardings.claim(engine, step.state, onboardings.request_fingerprint(step.request))
            onboardings.save_state(engine, step.state, _callback_url(step))

    @activity.defn
    async def record_audit(self, entry: AuditEntry) -> None:
        """Keep a lifecycle operation in the audit log (once, whatever the retries)."""
        await asyncio.to_thread(audit.record, self._deps.engine, entry)
