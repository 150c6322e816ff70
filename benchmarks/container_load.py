"""Latency and throughput of a two-chainlet chain running in containers.

Usage::

    python -m benchmarks.container_load [--requests 2000] [--concurrency 32] [--warmup 200]
                                        [--wrk SECONDS]

The chain is the speed benchmark's ``benchmarks/data/speed_chain.py`` (``Shout`` passes its
text to ``Upper``, which upper-cases it). It is built into images with ``chains-build
--images`` on the local base image and started with its generated docker-compose.yaml
(``tests/e2e/compose_chain.py`` does both, and always tears the chain down). The client is
one asyncio task per connection, ``--concurrency`` of them, sending ``POST /run_remote``
through the runtime's own pooled HTTP client (``chains_runtime.client.pool``) to the
entrypoint's published port until ``--requests`` answers are in; every request carries a
different text and every answer must be HTTP 200 with exactly that text upper-cased.
``--warmup`` requests go first and are not counted.

The report: requests, concurrency, errors, requests/s (correct answers over the wall time
of the run), and p50/p99 latency of the correct answers. The client shares the machine's
cores with the containers; ``--wrk SECONDS`` adds a row measured by ``wrk`` (the speed
benchmark's script: the same body every time, statuses checked, not answers), whose client
costs less. Exit status: 0 all answers correct, 1 some failed (the table says how many, and
the first failures are printed), 2 the chain could not be built or started. Needs Docker,
docker-compose and the local base image (``scripts/setup-docker.sh``).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chains_runtime.client.pool import ConnectionPool

from benchmarks.chain_speed import WRK_SCRIPT, Chain, Sample, run_wrk
from benchmarks.chain_speed import BenchmarkError as WrkError
from tests.e2e.compose_chain import (
    BASE_IMAGE,
    ComposeChainError,
    build_chain,
    compose_chain,
    docker_problem,
)

ROOT = Path(__file__).resolve().parent.parent
CHAIN = Path(__file__).resolve().parent / "data" / "speed_chain.py"
REQUEST_TIMEOUT_SEC = 30.0
SHOWN_FAILURES = 5


class BenchmarkError(Exception):
    """The benchmark cannot run; the message says why."""


# -- the load ---------------------------------------------------------------------------


def request_text(number: int) -> str:
    """The text of request ``number``: different per request, with non-ASCII letters."""
    return f"request {number} of the load, grüße"


def expected_answer(number: int) -> str:
    """What ``Shout`` answers to request ``number``."""
    return request_text(number).upper()


@dataclass
class LoadResult:
    """What a load run saw: the latency of every correct answer, and the failures."""

    requests: int
    concurrency: int
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    failures: Counter[str] = field(default_factory=Counter)
    """How many requests failed, by kind (``HTTP 503``, ``wrong answer``, an exception)."""
    examples: list[str] = field(default_factory=list)
    """The first failures, each with its request number and what came back."""
    peak_in_flight: int = 0

    @property
    def correct(self) -> int:
        return len(self.latencies_ms)

    @property
    def errors(self) -> int:
        return sum(self.failures.values())

    @property
    def requests_per_s(self) -> float:
        return self.correct / self.seconds if self.seconds > 0 else 0.0

    def percentile_ms(self, percent: float) -> float:
        """The nearest-rank percentile of the correct answers' latency (0.0 without any)."""
        if not self.latencies_ms:
            return 0.0
        ordered = sorted(self.latencies_ms)
        return ordered[max(0, math.ceil(percent / 100 * len(ordered)) - 1)]


class _Run:
    """The shared state of one load run's tasks."""

    def __init__(self, pool: ConnectionPool, result: LoadResult, first: int) -> None:
        self.pool = pool
        self.result = result
        self.next_number = first
        self.last_number = first + result.requests
        self.in_flight = 0

    def take(self) -> int | None:
        """The next request number, or None when every request has been sent."""
        if self.next_number >= self.last_number:
            return None
        number, self.next_number = self.next_number, self.next_number + 1
        return number

    def fail(self, number: int, kind: str, detail: str) -> None:
        self.result.failures[kind] += 1
        if len(self.result.examples) < SHOWN_FAILURES:
            self.result.examples.append(f"request {number}: {kind}: {detail[:200]}")


async def _one(run: _Run, number: int) -> None:
    body = json.dumps({"text": request_text(number)}, ensure_ascii=False).encode("utf-8")
    run.in_flight += 1
    run.result.peak_in_flight = max(run.result.peak_in_flight, run.in_flight)
    started = time.perf_counter()
    try:
        response = await run.pool.post(body, timeout_sec=REQUEST_TIMEOUT_SEC)
        content = await response.read()
    except Exception as exc:  # any failure of this request is counted, not raised
        run.fail(number, type(exc).__name__, str(exc) or repr(exc))
        return
    finally:
        run.in_flight -= 1
    elapsed_ms = (time.perf_counter() - started) * 1000
    text = content.decode("utf-8", errors="replace")
    if response.status != 200:
        run.fail(number, f"HTTP {response.status}", text)
        return
    try:
        answer = json.loads(content)
    except ValueError:
        run.fail(number, "answer not JSON", text)
        return
    if answer != expected_answer(number):
        run.fail(number, "wrong answer", f"{answer!r}, expected {expected_answer(number)!r}")
        return
    run.result.latencies_ms.append(elapsed_ms)


async def _connection(run: _Run) -> None:
    while (number := run.take()) is not None:
        await _one(run, number)


async def drive(url: str, requests: int, concurrency: int, *, first: int = 0) -> LoadResult:
    """Send ``requests`` calls to ``url`` (a ``run_remote`` URL), ``concurrency`` at a time,
    numbered from ``first``; what came back."""
    result = LoadResult(requests=requests, concurrency=concurrency)
    pool = ConnectionPool(
        url, headers={"content-type": "application/json"}, max_connections=concurrency
    )
    run = _Run(pool, result, first)
    started = time.perf_counter()
    try:
        await asyncio.gather(*(_connection(run) for _ in range(concurrency)))
    finally:
        result.seconds = time.perf_counter() - started
        await pool.aclose()
    return result


def run_load(url: str, requests: int, concurrency: int, *, first: int = 0) -> LoadResult:
    """``drive`` in an event loop of its own."""
    return asyncio.run(drive(url, requests, concurrency, first=first))


# -- reporting --------------------------------------------------------------------------


HEADER = (
    f"{'client':<6} {'requests':>8} {'concurrency':>11} {'errors':>6} {'req/s':>8} "
    f"{'p50 ms':>8} {'p99 ms':>8}"
)


@dataclass(frozen=True)
class Measured:
    """The checked run of the Python client and, when asked for, wrk's timed run."""

    load: LoadResult
    build_seconds: float
    wrk: Sample | None = None
    wrk_seconds: int = 0
    wrk_failure: str = ""


def report(measured: Measured) -> list[str]:
    result = measured.load
    lines = [
        f"chain: {CHAIN.relative_to(ROOT)} (Shout -> Upper) in containers on {BASE_IMAGE}, "
        f"started with docker-compose (images built or reused in {measured.build_seconds:.1f} s)",
        HEADER,
        f"{'python':<6} {result.requests:>8} {result.concurrency:>11} {result.errors:>6} "
        f"{result.requests_per_s:>8.0f} {result.percentile_ms(50):>8.2f} "
        f"{result.percentile_ms(99):>8.2f}",
    ]
    if measured.wrk is not None:
        wrk = measured.wrk
        requests = round(wrk.requests_per_s * measured.wrk_seconds)
        lines.append(
            f"{'wrk':<6} {requests:>8} {result.concurrency:>11} {0:>6} "
            f"{wrk.requests_per_s:>8.0f} {wrk.p50_ms:>8.2f} {wrk.p99_ms:>8.2f}"
        )
    if result.errors:
        kinds = ", ".join(f"{kind}: {count}" for kind, count in sorted(result.failures.items()))
        lines.append(f"FAILED requests by kind: {kinds}")
        lines += [f"  {example}" for example in result.examples]
    if measured.wrk_failure:
        lines.append(f"FAILED wrk: {measured.wrk_failure}")
    return lines


# -- command line -----------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.container_load", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--requests", type=int, default=2000, help="measured requests (>= 1)")
    parser.add_argument(
        "--concurrency", type=int, default=32, help="requests in flight at once (>= 1)"
    )
    parser.add_argument(
        "--warmup", type=int, default=200, help="requests sent first, not measured (>= 0)"
    )
    parser.add_argument(
        "--wrk",
        type=int,
        default=0,
        metavar="SECONDS",
        help="also drive the chain with wrk for SECONDS at the same concurrency (default: off)",
    )
    return parser


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def measure(requests: int, concurrency: int, warmup: int, wrk_seconds: int) -> Measured:
    """Build the chain, start it, warm it up and load it (then run wrk, if asked to)."""
    problem = docker_problem()
    if problem is not None:
        raise BenchmarkError(problem)
    with tempfile.TemporaryDirectory(prefix="container-load-") as folder:
        built = build_chain(CHAIN, Path(folder) / "out")
        with compose_chain(built) as chain:
            if warmup:
                warm = run_load(chain.run_remote_url, warmup, concurrency, first=-warmup)
                if warm.errors:
                    raise BenchmarkError(
                        f"{warm.errors} of {warmup} warm-up requests failed: {warm.examples[0]}"
                    )
            result = run_load(chain.run_remote_url, requests, concurrency)
            if not wrk_seconds:
                return Measured(result, built.build_seconds)
            script = Path(folder) / "post.lua"
            script.write_text(WRK_SCRIPT, encoding="utf-8")
            try:
                sample = run_wrk(Chain("wrk", chain.run_remote_url), concurrency, wrk_seconds,
                                 script)
            except WrkError as exc:
                return Measured(result, built.build_seconds, wrk_failure=str(exc))
            return Measured(result, built.build_seconds, sample, wrk_seconds)


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.requests < 1:
        parser.error(f"--requests must be >= 1, got {args.requests}")
    if args.concurrency < 1:
        parser.error(f"--concurrency must be >= 1, got {args.concurrency}")
    if args.warmup < 0:
        parser.error(f"--warmup must be >= 0, got {args.warmup}")
    if args.wrk < 0:
        parser.error(f"--wrk must be >= 0, got {args.wrk}")
    if args.wrk and shutil.which("wrk") is None:
        parser.error("--wrk: wrk is not on PATH (apt-get install wrk)")
    # A SIGTERM unwinds like Ctrl-C, so the containers are torn down too.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        measured = measure(args.requests, args.concurrency, args.warmup, args.wrk)
    except (BenchmarkError, ComposeChainError) as exc:
        print(f"container_load: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("container_load: interrupted", file=sys.stderr)
        return 130
    for line in report(measured):
        print(line)
    return 1 if measured.load.errors or measured.wrk_failure else 0


if __name__ == "__main__":
    sys.exit(main())
