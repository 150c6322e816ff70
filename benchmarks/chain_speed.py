"""How fast a two-chainlet chain answers, against the same chain written by hand.

Usage::

    python -m benchmarks.chain_speed [--duration 5] [--rounds 3] [--check]
                                     [--launcher chains-run|serve]

Ours is ``benchmarks/data/speed_chain.py`` (``Shout`` calls ``Upper``, which upper-cases the
text) started with ``chains-run --serve``; ``--launcher serve`` starts its two chainlets directly
as ``python -m chains_runtime.serve`` processes wired by ``CHAINS_CONFIG`` instead. The bare
chain is ``benchmarks/data/bare_chain.py``: two FastAPI apps on uvicorn (uvloop, httptools),
the entry calling the leaf through one pooled ``httpx.AsyncClient``. Neither writes a log line
per request (``chains-run`` starts chainlets at log level ``warning``; the bare chain runs with
``--no-access-log``), so both do the same work per call.

Both chains run side by side on loopback for the whole run. Each is checked (one call must
answer ``"HELLO WORLD"``) and warmed up, then ``wrk`` drives ``POST /run_remote`` with 1 and
with 16 connections for ``--duration`` seconds, ours and bare taking turns, ``--rounds`` times;
the figures are the medians over the rounds. The targets: at 16 connections at least 1.2x the
bare chain's requests/s, at 1 connection a p50 latency no higher than the bare chain's.
``--check`` exits 1 when one is missed. Needs ``wrk`` (Debian package ``wrk``).
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from chains_runtime.contract import CONFIG_ENV

DATA = Path(__file__).resolve().parent / "data"
SPEED_CHAIN = DATA / "speed_chain.py"
BARE_CHAIN = DATA / "bare_chain.py"
REQUEST_BODY = '{"text":"hello world"}'
EXPECTED_ANSWER = "HELLO WORLD"
CONNECTIONS = (1, 16)
THROUGHPUT_TARGET = 1.2
STARTUP_TIMEOUT_SEC = 60.0
STOP_GRACE_SEC = 10.0
_RESULT_TAG = "CHAIN_SPEED"

# wrk runs this script: a POST with a JSON body, and one machine-readable result line.
# Latencies are in microseconds; the errors are wrk's counters (status = non-2xx/3xx answers).
WRK_SCRIPT = f"""
wrk.method = "POST"
wrk.body = '{REQUEST_BODY}'
wrk.headers["Content-Type"] = "application/json"

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("{_RESULT_TAG} %d %d %d %d %d %d %d %d %d\\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
"""


class BenchmarkError(Exception):
    """The benchmark cannot run or a chain misbehaved; the message says which and why."""


@dataclass(frozen=True)
class Sample:
    """One wrk run against one chain."""

    requests_per_s: float
    p50_ms: float
    p99_ms: float


@dataclass(frozen=True)
class Chain:
    """A running chain: its name and the URL of its entrypoint's ``run_remote``."""

    name: str
    url: str


# -- starting and stopping chains -------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("CHAINS_")}


@contextmanager
def _process(
    command: list[str], log_dir: Path, label: str, env: dict[str, str] | None = None
) -> Iterator[tuple[subprocess.Popen[bytes], Path]]:
    """Run ``command`` (output to a log file); stop it however the block ends."""
    log_path = log_dir / f"{label}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=env if env is not None else _clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process, log_path
    finally:
        _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_GRACE_SEC)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _log_tail(path: Path, lines: int = 15) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:]) or "(empty log)"


def post(url: str, body: str = REQUEST_BODY, timeout: float = 5.0) -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"content-type": "application/json"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode("utf-8", errors="replace")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode("utf-8", errors="replace")


def wait_until_answering(
    url: str, processes: Sequence[tuple[subprocess.Popen[bytes], Path]], label: str
) -> None:
    """Poll ``POST url`` until it answers the expected result; fail fast if a process died."""
    deadline = time.monotonic() + STARTUP_TIMEOUT_SEC
    last = "no answer yet"
    while time.monotonic() < deadline:
        for process, log in processes:
            if process.poll() is not None:
                raise BenchmarkError(
                    f"{label}: a process exited with status {process.returncode} while "
                    f"starting; its log ends with:\n{_log_tail(log)}"
                )
        try:
            status, body = post(url, timeout=2.0)
        except (OSError, urllib.error.URLError) as exc:
            last = str(exc)
        else:
            if status == 200 and json.loads(body) == EXPECTED_ANSWER:
                return
            last = f"HTTP {status}: {body[:200]}"
            if status == 200 or 400 <= status < 500:
                raise BenchmarkError(f"{label}: {url} answered a wrong result: {last}")
        time.sleep(0.05)
    raise BenchmarkError(f"{label}: {url} did not answer within {STARTUP_TIMEOUT_SEC:g} s ({last})")


def chains_run_script() -> Path | None:
    """The ``chains-run`` next to this Python, or on PATH."""
    beside = Path(sys.executable).with_name("chains-run")
    if beside.is_file():
        return beside
    found = shutil.which("chains-run")
    return Path(found) if found else None


def start_ours(stack: ExitStack, log_dir: Path, launcher: str) -> Chain:
    port = free_port()
    url = f"http://127.0.0.1:{port}/run_remote"
    if launcher == "chains-run":
        script = chains_run_script()
        if script is None:
            raise BenchmarkError(
                "chains-run is not installed (pip install -e .); or use --launcher serve"
            )
        command = [str(script), str(SPEED_CHAIN), "--serve", "--port", str(port)]
        processes = [stack.enter_context(_process(command, log_dir, "ours-chains-run"))]
    else:
        processes = _start_ours_directly(stack, log_dir, port)
    wait_until_answering(url, processes, f"ours ({launcher})")
    return Chain("ours", url)


def _start_ours_directly(
    stack: ExitStack, log_dir: Path, entry_port: int
) -> list[tuple[subprocess.Popen[bytes], Path]]:
    """``Upper`` and ``Shout`` as two ``chains_runtime.serve`` processes, wired by env."""
    token = secrets.token_hex(16)
    leaf_port = free_port()
    wirings = {
        "Upper": (leaf_port, {"chainlet": "Upper", "service_token": token}),
        "Shout": (
            entry_port,
            {
                "chainlet": "Shout",
                "is_entrypoint": True,
                "service_token": token,
                "dependencies": {"Upper": f"http://127.0.0.1:{leaf_port}"},
            },
        ),
    }
    processes = []
    for name, (port, wiring) in wirings.items():
        env = _clean_env()
        env[CONFIG_ENV] = json.dumps(wiring)
        command = [sys.executable, "-m", "chains_runtime.serve", f"{SPEED_CHAIN}:{name}"]
        command += ["--port", str(port), "--log-level", "warning"]  # as chains-run does
        processes.append(stack.enter_context(_process(command, log_dir, f"ours-{name}", env)))
    return processes


def start_bare(stack: ExitStack, log_dir: Path) -> Chain:
    leaf_port, entry_port = free_port(), free_port()
    bare = [sys.executable, str(BARE_CHAIN)]
    leaf = [*bare, "leaf", "--port", str(leaf_port), "--no-access-log"]
    entry = [*bare, "entry", "--port", str(entry_port), "--no-access-log"]
    entry += ["--leaf-url", f"http://127.0.0.1:{leaf_port}"]
    processes = [
        stack.enter_context(_process(leaf, log_dir, "bare-leaf")),
        stack.enter_context(_process(entry, log_dir, "bare-entry")),
    ]
    url = f"http://127.0.0.1:{entry_port}/run_remote"
    wait_until_answering(url, processes, "bare")
    return Chain("bare", url)


# -- measuring --------------------------------------------------------------------------


def parse_wrk(output: str, label: str) -> Sample:
    """The sample in wrk's output (the script's result line); errors are a BenchmarkError."""
    for line in output.splitlines():
        fields = line.split()
        if len(fields) == 10 and fields[0] == _RESULT_TAG:
            requests, duration_us, p50_us, p99_us, *errors = (int(f) for f in fields[1:])
            connect, read, write, status, timeouts = errors
            if any(errors):
                raise BenchmarkError(
                    f"{label}: wrk saw errors (connect {connect}, read {read}, write {write}, "
                    f"non-2xx {status}, timeout {timeouts})"
                )
            if requests == 0 or duration_us <= 0:
                raise BenchmarkError(f"{label}: wrk completed no requests")
            return Sample(
                requests_per_s=requests / (duration_us / 1e6),
                p50_ms=p50_us / 1000,
                p99_ms=p99_us / 1000,
            )
    raise BenchmarkError(f"{label}: no result line in wrk's output:\n{output.strip()}")


def run_wrk(chain: Chain, connections: int, duration_sec: int, script: Path) -> Sample:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration_sec}s", "--timeout", "10s"]
    command += ["-s", str(script), chain.url]
    label = f"{chain.name} at {connections} connection(s)"
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchmarkError(f"{label}: wrk failed ({done.returncode}): {done.stderr.strip()}")
    return parse_wrk(done.stdout, label)


def median_sample(samples: Sequence[Sample]) -> Sample:
    return Sample(
        requests_per_s=statistics.median(s.requests_per_s for s in samples),
        p50_ms=statistics.median(s.p50_ms for s in samples),
        p99_ms=statistics.median(s.p99_ms for s in samples),
    )


def measure(
    chains: Sequence[Chain], duration_sec: int, rounds: int, script: Path
) -> dict[tuple[str, int], Sample]:
    """Medians per (chain, connections); the chains take turns, the first changing per round."""
    for chain in chains:
        for connections in CONNECTIONS:
            run_wrk(chain, connections, 1, script)  # warm-up: connections, caches, JIT-free code
    samples: dict[tuple[str, int], list[Sample]] = {}
    for round_index in range(rounds):
        order = chains if round_index % 2 == 0 else list(reversed(chains))
        for connections in CONNECTIONS:
            for chain in order:
                sample = run_wrk(chain, connections, duration_sec, script)
                samples.setdefault((chain.name, connections), []).append(sample)
    return {key: median_sample(values) for key, values in samples.items()}


# -- reporting --------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    throughput_ratio: float
    throughput_met: bool
    p50_met: bool


def judge(table: dict[tuple[str, int], Sample]) -> Verdict:
    ratio = table["ours", 16].requests_per_s / table["bare", 16].requests_per_s
    return Verdict(
        throughput_ratio=ratio,
        throughput_met=ratio >= THROUGHPUT_TARGET,
        p50_met=table["ours", 1].p50_ms <= table["bare", 1].p50_ms,
    )


def report(
    table: dict[tuple[str, int], Sample], launcher: str, duration_sec: int, rounds: int
) -> list[str]:
    verdict = judge(table)
    lines = [
        f"ours: {SPEED_CHAIN.name} via {launcher}; bare: {BARE_CHAIN.name} (FastAPI + httpx); "
        f"medians of {rounds} round(s) of {duration_sec} s",
        f"{'chain':<6} {'conns':>5} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8}",
    ]
    for connections in CONNECTIONS:
        for name in ("bare", "ours"):
            s = table[name, connections]
            lines.append(
                f"{name:<6} {connections:>5} {s.requests_per_s:>9.0f} {s.p50_ms:>8.3f} "
                f"{s.p99_ms:>8.3f}"
            )
    p50_ours, p50_bare = table["ours", 1].p50_ms, table["bare", 1].p50_ms
    lines.append(
        f"requests/s at 16 connections: {verdict.throughput_ratio:.2f}x the bare chain "
        f"(target >= {THROUGHPUT_TARGET}x): {'met' if verdict.throughput_met else 'MISSED'}"
    )
    lines.append(
        f"p50 at 1 connection: {p50_ours:.3f} ms vs {p50_bare:.3f} ms, "
        f"{p50_ours / p50_bare:.2f}x the bare chain (target <= 1x): "
        f"{'met' if verdict.p50_met else 'MISSED'}"
    )
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.chain_speed", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (>= 1)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (>= 1)")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--launcher",
        choices=("chains-run", "serve"),
        default="chains-run",
        help="start ours with `chains-run --serve` (default) or as chains_runtime.serve processes",
    )
    return parser


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.duration < 1:
        parser.error(f"--duration must be >= 1, got {args.duration}")
    if args.rounds < 1:
        parser.error(f"--rounds must be >= 1, got {args.rounds}")
    if shutil.which("wrk") is None:
        print("chain_speed: error: wrk is not on PATH (apt-get install wrk)", file=sys.stderr)
        return 2
    # A SIGTERM unwinds like Ctrl-C, so the chains started so far are stopped too.
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with tempfile.TemporaryDirectory(prefix="chain-speed-") as folder, ExitStack() as stack:
            work = Path(folder)
            script = work / "post.lua"
            script.write_text(WRK_SCRIPT, encoding="utf-8")
            chains = [start_ours(stack, work, args.launcher), start_bare(stack, work)]
            table = measure(chains, args.duration, args.rounds, script)
    except BenchmarkError as exc:
        print(f"chain_speed: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("chain_speed: interrupted", file=sys.stderr)
        return 130
    for line in report(table, args.launcher, args.duration, args.rounds):
        print(line)
    verdict = judge(table)
    if args.check and not (verdict.throughput_met and verdict.p50_met):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
