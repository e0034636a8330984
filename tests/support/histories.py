"""Workflow histories rewritten into shapes a worker can record but a test cannot provoke on demand."""

from __future__ import annotations

from collections.abc import Iterator

from google.protobuf.message import Message
from temporalio.api.enums.v1 import EventType
from temporalio.api.history.v1 import (
    HistoryEvent,
    WorkflowTaskCompletedEventAttributes,
    WorkflowTaskScheduledEventAttributes,
    WorkflowTaskStartedEventAttributes,
)
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

_TASK_EVENTS = {
    EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
    EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
}


def local_activity_markers(history: WorkflowHistory) -> list[int]:
    """The event ids of the history's local-activity markers."""
    return [
        event.event_id
        for event in history.events
        if event.HasField("marker_recorded_event_attributes")
        and event.marker_recorded_event_attributes.marker_name == "core_local_activity"
    ]


async def boundary_failures(replayer: Replayer, history: WorkflowHistory) -> dict[int, str]:
    """Replay ``history`` once per local-activity marker, with the workflow task boundary moved to just
    after it (:func:`task_completed_after`); the replay failures by marker, none when every one replays."""
    failures: dict[int, str] = {}
    for marker in local_activity_markers(history):
        result = await replayer.replay_workflow(
            task_completed_after(history, marker), raise_on_replay_failure=False
        )
        if result.replay_failure is not None:
            failures[marker] = str(result.replay_failure)
    return failures


def task_completed_after(history: WorkflowHistory, event_id: int) -> WorkflowHistory:
    """``history`` as the SDK records it when the local activity of marker ``event_id`` finishes in the
    instant its workflow task completes: the marker closes that task, and the commands after it belong to
    a workflow task of their own. Event ids after the marker move up by the three task events inserted."""
    at = next(i for i, event in enumerate(history.events) if event.event_id == event_id)
    marker = history.events[at]
    scheduled, started, completed = event_id + 1, event_id + 2, event_id + 3
    task_queue = next(
        e.workflow_task_scheduled_event_attributes.task_queue
        for e in history.events
        if e.HasField("workflow_task_scheduled_event_attributes")
    )
    inserted = [
        HistoryEvent(
            event_id=scheduled,
            event_time=marker.event_time,
            event_type=EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED,
            workflow_task_scheduled_event_attributes=WorkflowTaskScheduledEventAttributes(
                task_queue=task_queue, attempt=1
            ),
        ),
        HistoryEvent(
            event_id=started,
            event_time=marker.event_time,
            event_type=EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED,
            workflow_task_started_event_attributes=WorkflowTaskStartedEventAttributes(
                scheduled_event_id=scheduled
            ),
        ),
        HistoryEvent(
            event_id=completed,
            event_time=marker.event_time,
            event_type=EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED,
            workflow_task_completed_event_attributes=WorkflowTaskCompletedEventAttributes(
                scheduled_event_id=scheduled, started_event_id=started
            ),
        ),
    ]
    moved: list[HistoryEvent] = []
    in_new_task = True  # the commands up to the next workflow task event now follow the inserted one
    for original in history.events[at + 1 :]:
        event = HistoryEvent()
        event.CopyFrom(original)
        in_new_task = in_new_task and event.event_type not in _TASK_EVENTS
        for message, field, value in _event_id_references(event):
            if field == "workflow_task_completed_event_id" and in_new_task:
                setattr(message, field, completed)
            elif value > event_id:
                setattr(message, field, value + len(inserted))
        moved.append(event)
    return WorkflowHistory(history.workflow_id, [*history.events[: at + 1], *inserted, *moved])


def _event_id_references(event: HistoryEvent) -> Iterator[tuple[Message, str, int]]:
    """The event's own id and every id of another event its attributes name."""
    yield event, "event_id", event.event_id
    kind = event.WhichOneof("attributes")
    if kind is None:
        return
    attributes: Message = getattr(event, kind)
    for field in attributes.DESCRIPTOR.fields:
        if field.name.endswith("event_id") and field.type == field.TYPE_INT64:
            yield attributes, field.name, getattr(attributes, field.name)
