"""The binary benchmark runs end to end (a smoke test: one short round, no timing asserts)."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from tests.deploy_helpers import run

ROOT = Path(__file__).resolve().parent.parent
_MS = r" +\d+\.\d+ ms"


def test_binary_speed_prints_both_hops_and_both_codecs() -> None:
    result = run(
        [sys.executable, "-m", "benchmarks.binary_speed", "--calls", "1", "--rounds", "1"],
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"binary \(NumpyArrayField, use_binary=True\)" + _MS, lines[1])
    assert re.fullmatch(r"json \(list\[float\]\)" + _MS, lines[2])
    assert re.fullmatch(r"binary is \d+\.\dx faster than JSON \(target 5x\)", lines[3])
    assert re.fullmatch(r"truss-style \(msgpack \+ msgpack_numpy\)" + _MS, lines[5])
    assert re.fullmatch(r"ours \(binary\.pack/unpack \+ validation\)" + _MS, lines[6])


def test_bad_arguments_exit_2() -> None:
    result = run([sys.executable, "-m", "benchmarks.binary_speed", "--calls", "0"], cwd=ROOT)
    assert result.returncode == 2 and "--calls and --rounds must be >= 1" in result.stderr
