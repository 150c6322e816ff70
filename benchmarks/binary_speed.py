"""How much faster a binary hop carries a large array than JSON, and against truss's codec.

Usage::

    python -m benchmarks.binary_speed [--calls 20] [--rounds 3] [--check]

Two chains from ``benchmarks/data/binary_chain.py`` run side by side on loopback, each as two
``python -m chains_runtime.serve`` processes wired by ``CHAINS_CONFIG`` (as in a deployment):
``BinaryEntry`` sends a 1,000,000-element float32 ``NumpyArrayField`` to ``BinaryLeaf`` over
``depends(..., use_binary=True)`` and gets it back; ``JsonEntry`` does the same with the numbers
as ``list[float]`` over JSON. Each round calls each entrypoint ``--calls`` times in turn, one
call at a time (the entrypoint answers one number, so the time is the hop's); the figure is the
median milliseconds per call over all rounds. Target: binary at least 5x faster.

The truss-style baseline is in-process, without HTTP: what truss's binary path does for the
same array both ways (``msgpack.packb`` with ``msgpack_numpy.encode``, ``msgpack.unpackb``
with ``msgpack_numpy.decode``), against what this runtime does for it (``binary.pack`` of the
arguments, ``binary.unpack`` and the validation into a ``NumpyArrayField``). Target: ours no
slower. ``--check`` exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import httpx
from chains_runtime.contract import CONFIG_ENV, READINESS_PATH

from benchmarks.chain_speed import (
    DATA,
    STARTUP_TIMEOUT_SEC,
    BenchmarkError,
    _clean_env,
    _log_tail,
    _process,
    free_port,
)

BINARY_CHAIN = DATA / "binary_chain.py"
HOP_TARGET = 5.0
CODEC_TARGET = 1.0
CHAINS = {"binary": ("BinaryEntry", "BinaryLeaf"), "json": ("JsonEntry", "JsonLeaf")}
CALL_TIMEOUT_SEC = 120.0


def start_chain(stack: ExitStack, log_dir: Path, entry: str, leaf: str) -> str:
    """``entry`` and ``leaf`` as two ``chains_runtime.serve`` processes; the entry's URL."""
    token = secrets.token_hex(16)
    entry_port, leaf_port = free_port(), free_port()
    wirings = {
        leaf: (leaf_port, {"chainlet": leaf, "service_token": token}),
        entry: (
            entry_port,
            {
                "chainlet": entry,
                "is_entrypoint": True,
                "service_token": token,
                "dependencies": {leaf: f"http://127.0.0.1:{leaf_port}"},
            },
        ),
    }
    processes = []
    for name, (port, wiring) in wirings.items():
        env = _clean_env()
        env[CONFIG_ENV] = json.dumps(wiring)
        command = [sys.executable, "-m", "chains_runtime.serve", f"{BINARY_CHAIN}:{name}"]
        command += ["--port", str(port), "--log-level", "warning"]
        processes.append(stack.enter_context(_process(command, log_dir, name, env)))
    deadline = time.monotonic() + STARTUP_TIMEOUT_SEC
    for port in (leaf_port, entry_port):  # the leaf first: the entry's calls need it
        while not _ready(port):
            for process, log in processes:
                if process.poll() is not None:
                    raise BenchmarkError(
                        f"{entry}: a process exited with status {process.returncode}; its log "
                        f"ends with:\n{_log_tail(log)}"
                    )
            if time.monotonic() > deadline:
                raise BenchmarkError(f"{entry} was not ready within {STARTUP_TIMEOUT_SEC:g} s")
            time.sleep(0.1)
    url = f"http://127.0.0.1:{entry_port}/run_remote"
    response = httpx.post(url, json={}, timeout=CALL_TIMEOUT_SEC)  # the first call: a check
    if response.status_code != 200:
        raise BenchmarkError(f"{entry} answered HTTP {response.status_code}: {response.text}")
    return url


def _ready(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}{READINESS_PATH}", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def time_calls(client: httpx.Client, url: str, calls: int) -> tuple[list[float], float]:
    """Milliseconds of each of ``calls`` calls, and the answer (all must agree)."""
    times, answers = [], set()
    for _ in range(calls):
        started = time.perf_counter()
        response = client.post(url, json={})
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise BenchmarkError(f"{url} answered HTTP {response.status_code}: {response.text}")
        answers.add(response.json())
    if len(answers) != 1:
        raise BenchmarkError(f"{url} answered different results: {sorted(answers)}")
    return times, answers.pop()


def codec_times(rounds: int) -> tuple[float, float]:
    """Median milliseconds of one round trip of the array through truss's codec and ours."""
    import msgpack
    import msgpack_numpy
    import numpy as np
    import pydantic
    from chains_runtime import binary, import_alias
    from chains_runtime.pydantic_numpy import NumpyArrayField

    import_alias.install()  # the chain file imports truss_chains
    sys.path.insert(0, str(DATA))
    try:
        from binary_chain import make_values  # type: ignore[import-not-found]
    finally:
        sys.path.remove(str(DATA))
    values = make_values()

    def truss_style() -> Any:
        array = values
        for _ in range(2):  # the request, then the answer
            body = msgpack.packb({"values": array}, default=msgpack_numpy.encode)
            array = msgpack.unpackb(body, object_hook=msgpack_numpy.decode)["values"]
        return array

    arguments = pydantic.create_model("Arguments", values=(NumpyArrayField, ...))

    def ours() -> Any:
        field = NumpyArrayField(values)
        for _ in range(2):
            body = binary.pack({"values": field})
            field = getattr(arguments.model_validate(binary.unpack(body)), "values")  # noqa: B009
        return field.array

    codecs: tuple[Callable[[], Any], ...] = (truss_style, ours)
    for codec in codecs:
        if not np.array_equal(codec(), values):
            raise BenchmarkError(f"{codec.__name__} did not give the array back")
    times: list[list[float]] = [[], []]
    for repeat in range(max(rounds * 20, 60)):  # taking turns, so load hits both alike
        order = (0, 1) if repeat % 2 == 0 else (1, 0)
        for index in order:
            started = time.perf_counter()
            codecs[index]()
            times[index].append((time.perf_counter() - started) * 1000)
    return statistics.median(times[0]), statistics.median(times[1])


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.binary_speed", description=__doc__)
    parser.add_argument("--calls", type=int, default=20, help="calls per chain per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds, the chains taking turns")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.calls < 1 or args.rounds < 1:
        print("binary_speed: --calls and --rounds must be >= 1", file=sys.stderr)
        return 2
    times: dict[str, list[float]] = {name: [] for name in CHAINS}
    try:
        with ExitStack() as stack, tempfile.TemporaryDirectory() as work:
            urls = {
                name: start_chain(stack, Path(work), entry, leaf)
                for name, (entry, leaf) in CHAINS.items()
            }
            with httpx.Client(timeout=CALL_TIMEOUT_SEC) as client:
                answers = {}
                for _ in range(args.rounds):
                    for name, url in urls.items():
                        measured, answers[name] = time_calls(client, url, args.calls)
                        times[name] += measured
            if answers["binary"] != answers["json"]:
                raise BenchmarkError(f"the chains disagree: {answers}")
        truss_ms, ours_ms = codec_times(args.rounds)
    except (BenchmarkError, httpx.HTTPError) as exc:
        print(f"binary_speed: {exc}", file=sys.stderr)
        return 1
    binary_ms = statistics.median(times["binary"])
    json_ms = statistics.median(times["json"])
    hop_ratio, codec_ratio = json_ms / binary_ms, truss_ms / ours_ms
    print("1,000,000 float32 values, one hop there and back (median ms per call)")
    print(f"binary (NumpyArrayField, use_binary=True) {binary_ms:9.1f} ms")
    print(f"json (list[float])                        {json_ms:9.1f} ms")
    print(f"binary is {hop_ratio:.1f}x faster than JSON (target {HOP_TARGET:g}x)")
    print("in-process codec, the array there and back (median ms)")
    print(f"truss-style (msgpack + msgpack_numpy)     {truss_ms:9.2f} ms")
    print(f"ours (binary.pack/unpack + validation)    {ours_ms:9.2f} ms")
    print(f"ours takes {ours_ms / truss_ms:.2f}x truss-style's time (target <= {CODEC_TARGET:g}x)")
    missed = hop_ratio < HOP_TARGET or codec_ratio < CODEC_TARGET
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
