"""The chaos run at benchmark size: prints one line of figures (duplicates, lost and orphaned must be 0;
the agent platform squeezed, how many onboardings waited for a slot and the longest wait).

python -m bench.chaos --count 200 [--keep DIR]

With ``--keep``, the run's folder (the processes' logs, the Temporal, API and sandbox databases) is left in
``DIR`` to read after a failed run; otherwise it is a temporary folder, removed at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import tempfile
from pathlib import Path

from tests.support.chaos import run_chaos


def main() -> None:
    """Parse arguments, run, print the figures and the first problems found."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=200, help="onboardings to run")
    parser.add_argument("--kills", type=int, default=6, help="worker SIGKILLs")
    parser.add_argument("--server-restarts", type=int, default=2, help="Temporal server restarts")
    parser.add_argument("--fault-rate", type=float, default=0.2, help="rate of each provider fault kind")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--batch-rows", type=int, default=50, help="rows of the batch sent beside them")
    parser.add_argument("--keep", type=Path, help="run in this folder and keep it (logs, databases)")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.keep is None:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="chaos-")))
        else:
            folder = args.keep
            folder.mkdir(parents=True, exist_ok=True)
        report = asyncio.run(
            run_chaos(
                folder,
                args.count,
                kills=args.kills,
                server_restarts=args.server_restarts,
                fault_rate=args.fault_rate,
                seed=args.seed,
                batch_rows=args.batch_rows,
            )
        )
    print(report.line())
    for problem in report.problems[:20]:
        print("  problem:", problem)
    raise SystemExit(
        0
        if report.duplicates == 0 and report.lost == 0 and report.orphaned == 0 and not report.problems
        else 1
    )


if __name__ == "__main__":
    main()
