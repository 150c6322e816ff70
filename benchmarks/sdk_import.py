"""What knowing the SDK costs at start-up: the generated static tables against importing the
runtime's models (the reason the linter reads ``chains_lint/model/sdk_tables.py``).

Usage::

    python -m benchmarks.sdk_import [--runs 15]

Each figure is the wall time of a whole ``python -c "import ..."`` process; the runs of the
cases alternate, so all see the same load. Printed: the median and the fastest run of each, and
what each adds to a bare interpreter's start-up.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CASES: dict[str, str] = {
    "bare interpreter": "pass",
    "static tables (chains_lint.model.sdk_tables)": "import chains_lint.model.sdk_tables",
    "pydantic (BaseModel)": "from pydantic import BaseModel",
    "runtime models (definitions, markers)": "import chains_runtime.definitions, "
    "chains_runtime.markers",
    "build modules": "import chains_build.cli, chains_build.compose, chains_build.k8s",
    "build modules + chains_runtime.wiring": "import chains_build.cli, chains_build.compose, "
    "chains_build.k8s, chains_runtime.wiring",
}


def _time(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ROOT, timeout=120)
    return time.perf_counter() - start


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="runs of each case (default 15)")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    times: dict[str, list[float]] = {label: [] for label in CASES}
    for _ in range(args.runs):
        for label, code in CASES.items():
            times[label].append(_time(code))
    bare = statistics.median(times["bare interpreter"])
    for label, runs in times.items():
        median = statistics.median(runs)
        print(
            f"{label:46s} median {median * 1000:7.1f} ms  fastest {min(runs) * 1000:7.1f} ms"
            f"  (+{(median - bare) * 1000:6.1f} ms over bare)"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
