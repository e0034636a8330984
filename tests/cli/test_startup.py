"""`onboard` starts without the database or Temporal libraries: a command that only speaks HTTP to the API
(status, list, batch, …) does not pay a second of imports it never uses."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sqlalchemy", "sqlmodel", "alembic", "temporalio", "fastapi")


def test_the_command_line_loads_without_the_database_or_temporal_libraries() -> None:
    probe = f"import sys, cli.main; print(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    ).stdout.split()
    assert loaded == []
