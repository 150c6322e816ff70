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
import dataclasses
import json
import math
import os
import re
import shutil
import socket
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

DATA = Path(__file__).resolve().parent / "data"
SPEED_CHAIN = DATA / "speed_chain.py"
BARE_CHAIN = DATA / "bare_chain.py"
THROUGHPUT_TARGET = 1.2
BODY = '{"text": "hello world"}'

_WRK_SCRIPT = f"""
wrk.method = "POST"
wrk.body = '{BODY}'
wrk.headers["Content-Type"] = "application/json"
"""


@dataclass(frozen=True)
class WrkResult:
    requests_per_s: float
    p50_ms: float
    non_2xx: int
    requests: int = 0
    cpu_us_per_request: float = math.nan


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


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


def _parse_wrk(output: str) -> WrkResult:
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)\s*$", output, re.MULTILINE)
    if rps is None or p50 is None:
        raise SystemExit(f"cannot read wrk output:\n{output}")
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}[p50.group(2)]
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    total = re.search(r"(\d+) requests in", output)
    return WrkResult(
        requests_per_s=float(rps.group(1)),
        p50_ms=float(p50.group(1)) * scale,
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        requests=int(total.group(1)) if total else 0,
    )


def _wrk(url: str, connections: int, duration: int, script: Path, pid: int) -> WrkResult:
    cpu_before = _cpu_seconds(pid)
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script)]
    done = subprocess.run(
        [*command, f"{url}/run_remote"], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr.strip()}")
    result = _parse_wrk(done.stdout)
    if result.non_2xx:
        raise SystemExit(f"{result.non_2xx} failed responses from {url}")
    cpu = _cpu_seconds(pid) - cpu_before
    per_request = cpu / result.requests * 1e6 if result.requests else math.nan
    return dataclasses.replace(result, cpu_us_per_request=per_request)


def measure(name: str, connections: int, duration: int, runs: int, script: Path) -> WrkResult:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    command, env = _ours(port) if name == "ours" else _bare(port)
    with _server(command, env, url) as pid:
        _wrk(url, connections, 1, script, pid)  # warm-up
        results = [_wrk(url, connections, duration, script, pid) for _ in range(runs)]
    return WrkResult(
        requests_per_s=statistics.median(r.requests_per_s for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        non_2xx=0,
        cpu_us_per_request=statistics.median(r.cpu_us_per_request for r in results),
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
        script.write_text(_WRK_SCRIPT, encoding="utf-8")
        table: dict[tuple[str, int], WrkResult] = {}
        for connections in (1, 16):
            for name in ("bare", "ours"):
                table[name, connections] = measure(
                    name, connections, args.duration, args.runs, script
                )
    print(f"{'server':<6} {'conns':>5} {'req/s':>10} {'p50 ms':>8} {'CPU us/req':>10}")
    for (name, connections), result in sorted(table.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(
            f"{name:<6} {connections:>5} {result.requests_per_s:>10.0f} "
            f"{result.p50_ms:>8.3f} {result.cpu_us_per_request:>10.1f}"
        )
    ratio = table["ours", 16].requests_per_s / table["bare", 16].requests_per_s
    p50_ok = table["ours", 1].p50_ms <= table["bare", 1].p50_ms
    print(f"throughput at 16 connections: {ratio:.2f}x the bare FastAPI leaf")
    print(f"p50 at 1 connection: {'not higher' if p50_ok else 'HIGHER'} than the bare leaf")
    if args.check and (ratio < THROUGHPUT_TARGET or not p50_ok):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
