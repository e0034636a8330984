"""``python -m worker``: run the onboarding worker until SIGTERM or Ctrl-C, then drain and stop."""

from __future__ import annotations

import asyncio
import logging
import signal

from activities.capacity import sync_and_wake
from config import get_settings
from store import migrate
from store.db import make_engine
from telemetry.logs import setup_logging
from worker.app import build_deps, serving
from worker.client import connect, metrics_runtime

log = logging.getLogger("worker")


async def main() -> None:
    """Connect (waiting for Temporal if it is still starting), run, shut down gracefully on a signal."""
    settings = get_settings()
    setup_logging("worker", settings.log_level)
    await asyncio.to_thread(migrate.require_current, make_engine(settings.database_url))
    runtime = metrics_runtime(settings.worker_metrics_port)
    deps = build_deps(settings, runtime.metric_meter)
    client = None
    for attempt in range(60):
        try:
            client = await connect(settings, runtime)
            break
        except RuntimeError as error:
            log.warning("Temporal not reachable yet (attempt %d): %s", attempt + 1, error)
            await asyncio.sleep(1.0)
    if client is None:
        raise SystemExit("Temporal is not reachable at the configured address")
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await sync_and_wake(client, deps)
    async with serving(client, settings, deps):
        # printed, not logged: `onboard dev` waits for this line whatever the log level
        print(f"worker started on task queue {settings.task_queue}", flush=True)
        await stop.wait()
        log.info("worker stopping: finishing activities in progress")
    await deps.aclose()


if __name__ == "__main__":
    asyncio.run(main())
