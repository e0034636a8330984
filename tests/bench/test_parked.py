"""``make bench-parked`` at a small N, as CI runs it: the whole stack parks onboardings at ``awaiting_kyc``,
reads them, approves them at 100 a second, and the table names every figure."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.parked import FIGURES, LEFT_IN_WINDOW

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
COUNT = 30


def test_the_parked_benchmark_runs_end_to_end_and_every_approval_leaves_awaiting_kyc() -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("ONBOARD_")}
    run = subprocess.run(
        [sys.executable, "-m", "bench.parked", "--count", str(COUNT), "--approvals", str(COUNT)],
        cwd=ROOT,
        env=env | {"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=240,  # inside pytest's own 300 s, so the benchmark stops its stack on the way out
    )
    assert run.returncode == 0, run.stderr[-2000:]
    figures = {}
    for name, unit, _target in FIGURES:
        [row] = [line for line in run.stdout.splitlines() if line.startswith(f"{name} ({unit})")]
        figures[name] = float(row.removeprefix(f"{name} ({unit})").split()[0])
    assert all(value >= 0 for value in figures.values()), figures
    assert figures[LEFT_IN_WINDOW] == 100 and figures["approvals per second"] > 0, figures
