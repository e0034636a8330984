"""``onboard batch …`` as a user runs it: a subprocess against a real API whose worker runs the batches."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import uuid
from pathlib import Path

from tests.api.harness import API_KEY, RunningApi, onboarding_body
from tests.api.test_batches import live_api, rows, send, settled, worker
from tests.cli.test_onboard_commands import ONBOARD, onboard

__all__ = ["live_api", "worker"]

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "docs" / "batch-template.csv"


def run(*args: str, api: RunningApi) -> subprocess.CompletedProcess[str]:
    """``onboard *args`` with this checkout's code."""
    return onboard(*args, api_url=api.url, PYTHONPATH=str(ROOT))


def batch_file(folder: Path, prefix: str, count: int) -> Path:
    path = folder / f"{prefix}.jsonl"
    path.write_text("\n".join(json.dumps(onboarding_body(f"{prefix}-{i}")) for i in range(count)))
    return path


async def test_start_watches_to_the_end_and_status_shows_the_rows(
    live_api: RunningApi, worker: None, tmp_path: Path
) -> None:
    prefix = uuid.uuid4().hex[:6]
    template = tmp_path / "customers.csv"
    template.write_text(TEMPLATE.read_text().replace("cust-", f"{prefix}-"))
    started = await asyncio.to_thread(run, "batch", "start", str(template), "--watch", api=live_api)
    assert started.returncode == 0, started.stderr
    batch_id = next(line.split()[1] for line in started.stdout.splitlines() if line.startswith("id "))
    first, final = started.stdout.split("temporal ui")[:2]
    assert first.startswith("started\n") and "rows         3: pending 3" in first
    assert "agent slots  3 needed, 4 free on the platform\n" in first
    assert "state        completed" in final and "rows         3: started 3" in final
    assert "3/3" in started.stderr  # the progress bar

    again = await asyncio.to_thread(run, "batch", "start", str(template), api=live_api)
    assert again.returncode == 0 and "this batch was sent before" in again.stdout and batch_id in again.stdout
    shown = await asyncio.to_thread(run, "batch", "status", batch_id, "--json", api=live_api)
    assert json.loads(shown.stdout)["outcomes"]["started"] == 3


async def test_ctrl_c_leaves_the_bar_and_the_batch_goes_on_until_cancelled(
    live_api: RunningApi, worker: None, tmp_path: Path
) -> None:
    path = batch_file(tmp_path, f"cc-{uuid.uuid4().hex[:6]}", 160)  # 40 s of starts: cancelled well before
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONBOARD_")}
    env |= {"ONBOARD_API_URL": live_api.url, "ONBOARD_API_KEY": API_KEY, "PYTHONPATH": str(ROOT)}
    watching = await asyncio.create_subprocess_exec(
        *(ONBOARD, "batch", "start", str(path), "--watch", "--reference", path.stem),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert watching.stdout is not None
    while not (line := await asyncio.wait_for(watching.stdout.readline(), timeout=30)).startswith(
        b"temporal ui"
    ):
        assert line, (await watching.communicate())[
            1
        ].decode()  # the batch is started and shown: next, the bar
    await asyncio.sleep(1.5)
    watching.send_signal(signal.SIGINT)
    _, stderr = await asyncio.wait_for(watching.communicate(), timeout=30)
    err = stderr.decode()
    assert watching.returncode == 0, err
    assert f"left the batch running: onboard batch status batch-{path.stem} --watch" in err

    cancelled = await asyncio.to_thread(run, "batch", "cancel", f"batch-{path.stem}", api=live_api)
    assert cancelled.returncode == 0, cancelled.stderr
    assert "state        cancelled" in cancelled.stdout and "skipped" in cancelled.stdout
    refused = await asyncio.to_thread(run, "batch", "resume", f"batch-{path.stem}", api=live_api)
    assert refused.returncode == 1 and "already finished (cancelled)" in refused.stderr


async def test_pause_and_resume_then_status_watch_picks_the_batch_up(
    live_api: RunningApi, worker: None
) -> None:
    # sent over HTTP, not by a CLI process starting up, so the batch is surely running when paused
    async with live_api.async_client() as client:
        batch_id = (await send(client, rows(f"pr-{uuid.uuid4().hex[:6]}", 60)))["id"]  # 12 s of starts
    paused = await asyncio.to_thread(run, "batch", "pause", batch_id, api=live_api)
    assert paused.returncode == 0 and "state        paused" in paused.stdout
    resumed = await asyncio.to_thread(run, "batch", "resume", batch_id, api=live_api)
    assert resumed.returncode == 0 and "state        running" in resumed.stdout
    watched = await asyncio.to_thread(run, "batch", "status", batch_id, "--watch", api=live_api)
    assert watched.returncode == 0 and "state        completed" in watched.stdout
    async with live_api.async_client() as client:
        assert (await settled(client, batch_id, {"completed"}))["outcomes"]["started"] == 60


async def test_a_bad_file_exits_1_with_every_rows_problem(
    live_api: RunningApi, worker: None, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    header = "reference,business_name,numbers.country,numbers.count,agent.name,agent.system_prompt"
    bad.write_text(f"{header}\nx,Acme,IN,0,D,P\ny,Acme,IN,1,D,P\n")
    refused = await asyncio.to_thread(run, "batch", "start", str(bad), api=live_api)
    assert refused.returncode == 1 and refused.stdout == ""
    assert (
        "rows[2].numbers.count:" in refused.stderr
        and "rows[3]: Value error, email is required" in refused.stderr
    )
    other = tmp_path / "batch.xlsx"
    other.write_bytes(b"PK")
    wrong = await asyncio.to_thread(run, "batch", "start", str(other), api=live_api)
    assert wrong.returncode == 1 and "give a .csv, .jsonl or .ndjson file" in wrong.stderr
    missing = await asyncio.to_thread(run, "batch", "status", "batch-nobody", api=live_api)
    assert missing.returncode == 1 and "no such batch" in missing.stderr
