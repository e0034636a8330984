"""Structured JSON logs, one object per line, carrying the workflow id, reference and step when known.

Only the message and a fixed set of context fields are written: never request headers or bodies, so
no credential can reach the logs through this formatter.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from domain.onboarding import WORKFLOW_ID_PREFIX


def _temporal_context(record: logging.LogRecord) -> dict[str, str]:
    """Workflow id, reference and step from the extras the Temporal SDK attaches to its loggers."""
    context: dict[str, str] = {}
    details: dict[str, Any] = (
        getattr(record, "temporal_activity", None) or getattr(record, "temporal_workflow", None) or {}
    )
    workflow_id = details.get("workflow_id")
    if isinstance(workflow_id, str):
        context["workflow_id"] = workflow_id
        if workflow_id.startswith(WORKFLOW_ID_PREFIX):
            context["reference"] = workflow_id.removeprefix(WORKFLOW_ID_PREFIX)
    step = details.get("activity_type") or details.get("workflow_type")
    if isinstance(step, str):
        context["step"] = step
    return context


class JsonFormatter(logging.Formatter):
    """``{"ts", "level", "service", "logger", "message", ...context}`` per line."""

    def __init__(self, service: str) -> None:
        super().__init__()
        self._service = service

    def format(self, record: logging.LogRecord) -> str:
        """Render ``record`` as one JSON line."""
        document: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "service": self._service,
            "logger": record.name,
            "message": record.getMessage(),
        }
        document.update(_temporal_context(record))
        for key in ("route", "status", "duration_ms", "method", "outcome"):
            value = getattr(record, key, None)
            if value is not None:
                document[key] = value
        if record.exc_info and record.exc_info[0] is not None:
            document["error"] = record.exc_info[0].__name__
        return json.dumps(document, default=str)


def setup_logging(service: str, level: str) -> None:
    """Send every log record of this process to stderr as JSON lines."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
