"""How fast one chainlet server answers, against the same leaf written with bare FastAPI.

Usage::

    python -m benchmarks.server_speed [--duration 5] [--runs 3] [--check]
    python -m benchmarks.server_speed --against OTHER_CHECKOUT [--duration 5] [--rounds 5] [--check]
    python -m benchmarks.server_speed --wrapper [--duration 5] [--rounds 5]

Both servers serve ``Upper`` of ``benchmarks/data/speed_chain.py`` (``text -> text.upper()``)
on loopback: ours through ``python -m chains_runtime.serve`` (uvicorn, uvloop, httptools, our
access log on), the reference through ``benchmarks/data/bare_chain.py leaf`` (FastAPI with a
pydantic body on uvicorn, uvloop, httptools, uvicorn's access log on). ``wrk`` drives
``POST /run_remote`` with 1 and 16 connections; each figure is the median of ``--runs`` runs.
Next to requests/s and p50 it reports the server process's CPU time per request (user + system,
from ``/proc``), which other load on the machine disturbs far less than throughput.
``--check`` exits 1 unless ours reaches 1.2x the reference's requests/s at 16 connections and a
p50 no higher at 1 connection. Needs ``wrk`` on PATH.

``--against DIR`` compares this checkout's server with the one of another checkout of the
repository instead (e.g. an older commit in a temporary ``git worktree``): the same leaf, served
by ``python -m chains_runtime.serve`` with ``PYTHONPATH=DIR/runtime`` (checked: the process must
import ``chains_runtime`` from there). Both servers run side by side; the wrk runs take turns,
the first changing every round, ``--rounds`` times at 1 and at 16 connections, and the figures
are the medians. ``--check`` then exits 1 when ours serves fewer than 90% of the other's
requests/s at either connection count.

``--wrapper`` runs the same interleaved comparison inside this checkout between the FastAPI app
``create_app`` serves and the bare ``ChainletApp`` it hands ``/run_remote`` to, both served by
``benchmarks/data/asgi_leaf.py``: what FastAPI around the handler costs, and nothing else.
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
from chains_runtime.contract import CONFIG_ENV, READINESS_PATH

from benchmarks.chain_speed import (
    BARE_CHAIN,
    CONNECTIONS,
    DATA,
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


AGAINST_TARGET = 0.9
"""``--against``: ours must serve at least this share of the other checkout's requests/s."""


def _ours(port: int, runtime: Path | None = None) -> tuple[list[str], dict[str, str]]:
    """Our leaf server; with ``runtime``, the ``chains_runtime`` of that folder serves it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}
    env[CONFIG_ENV] = json.dumps({"chainlet": "Upper", "is_entrypoint": True})
    if runtime is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(runtime), env.get("PYTHONPATH")]))
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
                if httpx.get(url + READINESS_PATH, timeout=1).status_code == 200:
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


def _runtime_of(checkout: Path) -> Path:
    """``checkout/runtime``, once a Python given it as PYTHONPATH imports chains_runtime there."""
    runtime = checkout.resolve() / "runtime"
    if not (runtime / "chains_runtime" / "serve.py").is_file():
        raise BenchmarkError(f"{checkout} is not a checkout of this repository (no {runtime})")
    _, env = _ours(0, runtime)
    probe = "import chains_runtime; print(chains_runtime.__file__)"
    found = subprocess.run(
        [sys.executable, "-c", probe], env=env, capture_output=True, text=True, timeout=60
    )
    if found.returncode != 0 or not Path(found.stdout.strip()).is_relative_to(runtime):
        raise BenchmarkError(
            f"with PYTHONPATH={runtime}, chains_runtime is imported from "
            f"{found.stdout.strip() or found.stderr.strip()!r}, not from there"
        )
    return runtime


ServerCommand = Callable[[int], tuple[list[str], dict[str, str]]]
"""A server's command line and environment, given its port."""


def _asgi_leaf(app: str) -> ServerCommand:
    def command(port: int) -> tuple[list[str], dict[str, str]]:
        leaf = DATA / "asgi_leaf.py"
        return [sys.executable, str(leaf), app, "--port", str(port)], dict(os.environ)

    return command


def interleave(
    servers: dict[str, ServerCommand], duration: int, rounds: int, script: Path
) -> dict[tuple[str, int], Measured]:
    """Medians per (server, connections) of servers running side by side, taking turns (the
    first changing every round)."""
    runs: dict[tuple[str, int], list[Measured]] = {}
    with ExitStack() as stack:
        running = {}
        for name, server_command in servers.items():
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            command, env = server_command(port)
            pid = stack.enter_context(_server(command, env, url))
            running[name] = (url, pid)
            for connections in CONNECTIONS:
                _wrk(name, url, connections, 1, script, pid)  # warm-up
        names = list(servers)
        for index in range(rounds):
            order = names[index % len(names) :] + names[: index % len(names)]
            for connections in CONNECTIONS:
                for name in order:
                    url, pid = running[name]
                    measured = _wrk(name, url, connections, duration, script, pid)
                    runs.setdefault((name, connections), []).append(measured)
    return {
        key: Measured(
            median_sample([r.sample for r in results]),
            statistics.median(r.cpu_us_per_request for r in results),
        )
        for key, results in runs.items()
    }


def _print_table(table: dict[tuple[str, int], Measured]) -> None:
    print(f"{'server':<7} {'conns':>5} {'req/s':>10} {'p50 ms':>8} {'CPU us/req':>10}")
    for (name, connections), result in sorted(table.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        print(
            f"{name:<7} {connections:>5} {result.sample.requests_per_s:>10.0f} "
            f"{result.sample.p50_ms:>8.3f} {result.cpu_us_per_request:>10.1f}"
        )


def _main_side_by_side(args: argparse.Namespace, script: Path) -> int:
    """``--against`` or ``--wrapper``: two servers, the first's requests/s as a ratio of the
    second's."""
    try:
        if args.against is not None:
            runtime = _runtime_of(args.against)
            servers = {"ours": _ours, "other": lambda port: _ours(port, runtime)}
            title = f"other = {args.against}"
        else:
            servers = {"fastapi": _asgi_leaf("fastapi"), "plain": _asgi_leaf("plain")}
            title = "fastapi = create_app's app, plain = its bare ChainletApp"
        table = interleave(servers, args.duration, args.rounds, script)
    except BenchmarkError as exc:
        print(f"server_speed: error: {exc}", file=sys.stderr)
        return 1
    print(f"{title}; medians of {args.rounds} interleaved rounds of {args.duration} s")
    _print_table(table)
    first, second = servers
    missed = False
    for connections in CONNECTIONS:
        ratio = (
            table[first, connections].sample.requests_per_s
            / table[second, connections].sample.requests_per_s
        )
        missed |= ratio < AGAINST_TARGET
        print(f"requests/s at {connections} connection(s): {first} {ratio:.3f}x {second}")
    return 1 if args.check and missed else 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--against",
        type=Path,
        default=None,
        metavar="CHECKOUT",
        help="compare with the server of this other checkout instead of the bare FastAPI leaf",
    )
    parser.add_argument(
        "--wrapper",
        action="store_true",
        help="compare create_app's FastAPI app with its bare ChainletApp in this checkout",
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="interleaved rounds (--against, --wrapper)"
    )
    parser.add_argument("--check", action="store_true")
    args = parser.parse_args(argv)
    if args.duration < 1 or args.runs < 1 or args.rounds < 1:
        parser.error("--duration, --runs and --rounds must be at least 1")
    if shutil.which("wrk") is None:
        print("server_speed: error: wrk is not on PATH (apt-get install wrk)", file=sys.stderr)
        return 2
    if args.against is not None and args.wrapper:
        parser.error("give --against or --wrapper, not both")
    if args.against is not None or args.wrapper:
        with tempfile.TemporaryDirectory() as folder:
            script = Path(folder) / "post.lua"
            script.write_text(WRK_SCRIPT, encoding="utf-8")
            return _main_side_by_side(args, script)
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
    _print_table(table)
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
