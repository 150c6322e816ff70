"""The chain speed benchmark runs end to end (a smoke test: one short round, no timing asserts)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from benchmarks.chain_speed import WRK_SCRIPT, BenchmarkError, Sample, parse_wrk
from tests.deploy_helpers import run

ROOT = Path(__file__).resolve().parent.parent
needs_wrk = pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk is not installed")

_TAG_VARIABLE = "CHAIN_SPEED_TEST_RUN"
_ROW = re.compile(r"^(bare|ours) +(1|16) +(\d+) +(\d+\.\d{3}) +(\d+\.\d{3})$")


def _benchmark(*args: str, tag: str = "") -> subprocess.CompletedProcess[str]:
    env = {**os.environ, _TAG_VARIABLE: tag}
    return run([sys.executable, "-m", "benchmarks.chain_speed", *args], cwd=ROOT, env=env)


def _tagged_processes(tag: str) -> list[int]:
    """Processes still running whose environment carries ``tag`` (inherited from the run)."""
    marker = f"{_TAG_VARIABLE}={tag}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                environ = (entry / "environ").read_bytes()
            except OSError:  # gone, or not ours
                continue
            if marker in environ.split(b"\0"):
                found.append(int(entry.name))
    return found


@needs_wrk
def test_one_short_round_with_chains_run() -> None:
    tag = uuid.uuid4().hex
    done = _benchmark("--duration", "1", "--rounds", "1", tag=tag)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith("ours: speed_chain.py via chains-run; bare: bare_chain.py")
    rows = [_ROW.match(line) for line in lines[2:6]]
    assert all(rows), lines
    assert {(m.group(1), m.group(2)) for m in rows if m} == {
        ("bare", "1"),
        ("ours", "1"),
        ("bare", "16"),
        ("ours", "16"),
    }
    assert all(int(m.group(3)) > 0 for m in rows if m)
    assert re.fullmatch(
        r"requests/s at 16 connections: \d+\.\d\dx the bare chain \(target >= 1\.2x\): "
        r"(met|MISSED)",
        lines[6],
    )
    assert lines[7].startswith("p50 at 1 connection: ")
    assert _tagged_processes(tag) == [], "chain processes were left running"


def test_bad_options_exit_2() -> None:
    done = _benchmark("--rounds", "0")
    assert done.returncode == 2
    assert "--rounds must be >= 1, got 0" in done.stderr


def test_wrk_result_line_and_its_errors() -> None:
    assert "latency:percentile(50)" in WRK_SCRIPT and 'wrk.method = "POST"' in WRK_SCRIPT
    sample = parse_wrk("Running 1s test\nCHAIN_SPEED 2000 2000000 450 1900 0 0 0 0 0\n", "x")
    assert sample == Sample(requests_per_s=1000.0, p50_ms=0.45, p99_ms=1.9)
    with pytest.raises(BenchmarkError, match="non-2xx 7"):
        parse_wrk("CHAIN_SPEED 2000 2000000 450 1900 0 0 0 7 0", "ours at 16 connection(s)")
    with pytest.raises(BenchmarkError, match="no result line"):
        parse_wrk("unable to connect to 127.0.0.1:1", "bare")
