"""The status mirror: the workflow's status document, copied into the database at each step."""

from __future__ import annotations

import asyncio

from temporalio import activity

from activities.deps import ActivityDeps
from activities.models import MirrorState
from store import onboardings


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
            onboardings.save_state(engine, step.state)
        except onboardings.RecordMissing:
            # started outside the API (CLI, Temporal UI): the first step creates the record
            onboardings.claim(engine, step.state, onboardings.request_fingerprint(step.request))
            onboardings.save_state(engine, step.state)
