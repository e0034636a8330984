"""``CallbackRedelivery``: deliver one logged callback again, because its reseller asked.

One short workflow per request (``POST /v1/events/{id}/redeliver``), on the callbacks worker pool like
every callback, retried for an hour; it shows in the Temporal UI beside the onboarding it belongs to.
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow
from temporalio.exceptions import ActivityError

from workflows.callback_delivery import callback_activity

with workflow.unsafe.imports_passed_through():
    from activities.callbacks import Callbacks

REDELIVERY_WORKFLOW = "CallbackRedelivery"
#: A redelivery is retried this long before it is given up.
REDELIVERY_DEADLINE = timedelta(hours=1)


@workflow.defn(name=REDELIVERY_WORKFLOW)
class CallbackRedelivery:
    """POST the event again; ends ``delivered`` or ``given up`` (the log has each attempt's answer)."""

    @workflow.run
    async def run(self, event_id: str) -> str:
        """Deliver ``event_id`` until its endpoint takes it or the deadline passes."""
        try:
            await callback_activity(
                Callbacks.redeliver_callback, event_id, deadline=REDELIVERY_DEADLINE, summary="redeliver"
            )
        except ActivityError as failure:
            workflow.logger.warning("redelivery of %s given up: %s", event_id, failure.cause)
            return "given up"
        return "delivered"
