"""How fast one chainlet server answers, against the same leaf written with bare FastAPI.

Usage::

    python -m benchmarks.server_speed [--duration 5] [--runs 3] [--check]

Both servers serve ``Upper`` of ``benchmarks/data/speed_chain.py`` (``text -> text.upper()``)
on loopback: ours through ``python -m chains_runtime.serve`` (uvicorn, uvloop, httptools, our
access log on), the reference through ``benchmarks/data/bare_chain.py leaf`` (FastAPI with a
pydantic body on uvicorn, uvloop, httptools, uvicorn's access log on). ``wrk`` drives
``POST /run_remote`` with 1 and 16 connections; each figure is the median of ``--runs`` runs.
Next to requests/s and p50 it reports the server process's CPU time per request (user + system,
from ``/proc``), which other load on the machine disturbs far less than throughput.
``--check`` exits 1 unless ours reaches 1.2x the reference's requests/s at 16 connections and a
p50 no higher at 1 connection. Needs ``wrk`` on PATH.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from benchmarks.chain_speed import (
    BARE_CHAIN,
    SPEED_CHAIN,
    THROUGHPUT_TARGET,
    WRK_SCRIPT,
    BenchmarkError,
    Chain,
    Sample,
    free_port,
    median_sample,
    run_wrk,
)


@dataclass(frozen=True)
class Measured:
    """A wrk sample, and the server's CPU time per request meanwhile."""

    sample: Sample
    cpu_us_per_request: float


def _ours(port: int) -> tuple[list[str], dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}
    env["CHAINS_CONFIG"] = json.dumps({"chainlet": "Upper", "is_entrypoint": True})
    command = [sys.executable, "-m", "chains_runtime.serve", f"{SPEED_CHAIN}:Upper"]
    return [*command, "--port", str(port), "--log-level", "info"], env


def _bare(port: int) -> tuple[list[str], dict[str, str]]:
    return [sys.executable, str(BARE_CHAIN), "leaf", "--port", str(port)], dict(os.environ)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux ``/proc``; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return math.nan
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def _server(command: list[str], env: dict[str, str], url: str) -> Iterator[int]:
    # Logs go to /dev/null: both servers format their access lines, neither waits on a terminal.
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise SystemExit(f"server exited with {process.returncode}: {' '.join(command)}")
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"server did not get ready: {' '.join(command)}")
            time.sleep(0.05)
        yield process.pid
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wrk(name: str, url: str, connections: int, duration: int, script: Path, pid: int) -> Measured:
    cpu_before = _cpu_seconds(pid)
    sample = run_wrk(Chain(name, f"{url}/run_remote"), connections, duration, script)
    cpu = _cpu_seconds(pid) - cpu_before
    requests = sample.requests_per_s * duration  # wrk sends for `duration` seconds
    return Measured(sample, cpu / requests * 1e6)


def measure(name: str, connections: int, duration: int, runs: int, script: Path) -> Measured:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command, env = _ours(port) if name == "ours" else _bare(port)
    with _server(command, env, url) as pid:
        _wrk(name, url, connections, 1, script, pid)  # warm-up
        results = [_wrk(name, url, connections, duration, script, pid) for _ in range(runs)]
    return Measured(
        median_sample([r.sample for r in results]),
        statistics.median(r.cpu_us_per_request for r in results),
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("wrk") is None:
        print("server_speed: error: wrk is not on PATH (apt-get install wrk)", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "post.lua"
        script.write_text(WRK_SCRIPT, encoding="utf-8")
        table: dict[tuple[str, int], Measured] = {}
        try:
            for connections in (1, 16):
                for name in ("bare", "ours"):
                    table[name, connections] = measure(
                        name, connections, args.duration, args.runs, script
                    )
        except BenchmarkError as exc:
            print(f"server_speed: error: {exc}", file=sys.stderr)
            return 1
    print(f"{'server':<6} {'conns':>5} {'req/s':>10} {'p50 ms':>8} {'CPU us/req':>10}")
    for (name, connections), result in sorted(table.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(
            f"{name:<6} {connections:>5} {result.sample.requests_per_s:>10.0f} "
            f"{result.sample.p50_ms:>8.3f} {result.cpu_us_per_request:>10.1f}"
        )
    ours, bare = table["ours", 16].sample, table["bare", 16].sample
    ratio = ours.requests_per_s / bare.requests_per_s
    p50_ok = table["ours", 1].sample.p50_ms <= table["bare", 1].sample.p50_ms
    print(f"throughput at 16 connections: {ratio:.2f}x the bare FastAPI leaf")
    print(f"p50 at 1 connection: {'not higher' if p50_ok else 'HIGHER'} than the bare leaf")
    if args.check and (ratio < THROUGHPUT_TARGET or not p50_ok):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
