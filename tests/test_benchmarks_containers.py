"""The container benchmarks: their parts on their own, and each script run end to end with
small parameters (its table must parse, and nothing it started may be left behind).

The end-to-end runs need Docker, docker-compose and the local base image: outside CI they skip
with the reason, under ``CI=true`` they fail.
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from benchmarks.container_load import HEADER, expected_answer, request_text, run_load
from benchmarks.image_economy import (
    EDIT_MARKER,
    BenchmarkError,
    Edit,
    count_steps,
    edit_run_remote_string,
)
from tests.deploy_helpers import free_port, missing, serve, wait_for
from tests.e2e.compose_chain import docker_command, docker_problem

ROOT = Path(__file__).resolve().parent.parent
RUN_TIMEOUT_SEC = 900


def _benchmark(module: str, *args: str) -> tuple[subprocess.CompletedProcess[str], int]:
    """``python -m benchmarks.MODULE ARGS`` to its end (killed if it outlives the timeout);
    the finished process and its pid."""
    process = subprocess.Popen(
        [sys.executable, "-m", f"benchmarks.{module}", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=RUN_TIMEOUT_SEC)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return done, process.pid


def _docker_lines(*args: str) -> list[str]:
    docker = docker_command()
    assert docker is not None
    done = subprocess.run([docker, *args], capture_output=True, text=True, timeout=60, check=True)
    return done.stdout.split()


@pytest.fixture(scope="module")
def docker_ready() -> None:
    problem = docker_problem()
    if problem is not None:
        missing(problem)


# -- the code-only change of the image economy benchmark ---------------------------------------


def _run_remote_of(source: str, chainlet: str) -> ast.FunctionDef | ast.AsyncFunctionDef:
    for node in ast.parse(source).body:
        if isinstance(node, ast.ClassDef) and node.name == chainlet:
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    return item
    raise AssertionError(f"no run_remote in a class {chainlet}")


def test_the_edit_marks_the_first_string_of_a_run_remote() -> None:
    source = (ROOT / "examples" / "hello" / "chain.py").read_text(encoding="utf-8")
    edited, edit = edit_run_remote_string(source, "chain.py")
    assert edit == Edit("SayHello", 16, "a string literal edited")
    assert edited == source.replace('f"Hello, {name}"', f'f"{EDIT_MARKER}Hello, {{name}}"')


def test_the_edit_finds_the_literal_after_non_ascii_and_inside_prefixes() -> None:
    source = (
        "class Sizer:\n"
        "    def run_remote(self, text: str) -> str:\n"
        '        größe = Rf"""{text}!""" + text\n'
        "        return größe\n"
    )
    edited, edit = edit_run_remote_string(source, "chain.py")
    assert edit == Edit("Sizer", 3, "a string literal edited")
    assert f'größe = Rf"""{EDIT_MARKER}{{text}}!""" + text' in edited


def test_a_docstring_is_the_last_resort_then_a_string_statement_is_added() -> None:
    documented = (
        "class Echo:\n"
        "    async def run_remote(self, value: int) -> int:\n"
        '        """Echo the value."""\n'
        "        return value\n"
    )
    edited, edit = edit_run_remote_string(documented, "chain.py")
    assert edit == Edit("Echo", 3, "a string literal edited")
    assert f'"""{EDIT_MARKER}Echo the value."""' in edited
    bare = documented.replace('        """Echo the value."""\n', "")
    edited, edit = edit_run_remote_string(bare, "chain.py")
    assert edit == Edit("Echo", 3, "a string statement added")
    first = _run_remote_of(edited, "Echo").body[0]
    assert isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
    assert first.value.value == EDIT_MARKER.strip()


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("class Echo:\n    def run_remote(self, v: int) -> int: return v\n", "a line of its own"),
        ("def run_remote(v: int) -> int:\n    return v\n", "no chainlet class"),
        ("class Echo(:\n", "not valid Python"),
    ],
)
def test_a_chain_the_edit_cannot_change_is_a_clear_error(source: str, message: str) -> None:
    with pytest.raises(BenchmarkError, match=re.escape(message)):
        edit_run_remote_string(source, "chain.py")


def test_build_steps_are_counted_per_image_without_from() -> None:
    log = "\n".join(
        [
            "chains-build: [say-hello] building chains/say-hello:0123456789ab",
            "chains-build: [say-hello] Step 1/4 : FROM chains-base:bookworm",
            "chains-build: [say-hello] Step 2/4 : RUN python3 -m venv /opt/venv",
            "chains-build: [say-hello] ---> Using cache",
            "chains-build: [say-hello] Step 3/4 : COPY chain.py /app/",
            "chains-build: [say-hello] Step 4/4 : CMD [\"python3\"]",
            "chains-build: [hello-all] Step 1/2 : FROM chains-base:bookworm",
            "chains-build: [hello-all] Step 2/2 : COPY chain.py /app/",
            "chains-build: [hello-all] ---> Using cache",
        ]
    )
    steps, cached = count_steps(log)
    assert steps == {"say-hello": 3, "hello-all": 1}
    assert cached == {"say-hello": 1, "hello-all": 1}


# -- the load driver against a real chainlet server on loopback ---------------------------------

FLAKY_UPPER = """\
import truss_chains as chains


class Upper(chains.ChainletBase):
    remote_config = chains.RemoteConfig(compute=chains.Compute(predict_concurrency=64))

    async def run_remote(self, text: str) -> str:
        if text.startswith("request 13 "):
            return "not upper"
        if text.startswith("request 17 "):
            raise ValueError("seventeen is refused")
        return text.upper()
"""


@pytest.fixture(scope="module")
def flaky_upper(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A chainlet server that answers right except to requests 13 (wrong) and 17 (500)."""
    chain_file = tmp_path_factory.mktemp("flaky") / "chain.py"
    chain_file.write_text(FLAKY_UPPER, encoding="utf-8")
    port = free_port()
    config = json.dumps({"chainlet": "Upper", "is_entrypoint": True})
    with serve(chain_file, "Upper", port, {"CHAINS_CONFIG": config}) as process:
        base = f"http://127.0.0.1:{port}"
        wait_for(lambda: _ready(base) or process.poll() is not None, "the chainlet server")
        assert process.poll() is None, (chain_file.parent / "Upper.log").read_text()
        yield f"{base}/run_remote"


def _ready(base: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{base}/readyz", timeout=2, trust_env=False).status_code == 200
    except httpx.HTTPError:
        return False


def test_the_load_driver_keeps_the_concurrency_and_checks_every_answer(flaky_upper: str) -> None:
    result = run_load(flaky_upper, 300, 8)
    assert result.peak_in_flight == 8
    assert result.correct == 298
    assert dict(result.failures) == {"wrong answer": 1, "HTTP 500": 1}
    assert any(example.startswith("request 13: wrong answer: 'not upper'") for example in
               result.examples)
    assert any(example.startswith("request 17: HTTP 500: ") for example in result.examples)
    assert 0 < result.percentile_ms(50) <= result.percentile_ms(99)
    assert result.requests_per_s > 0


def test_the_load_driver_counts_refused_connections_and_returns() -> None:
    result = run_load(f"http://127.0.0.1:{free_port()}/run_remote", 5, 2)
    assert result.correct == 0
    assert dict(result.failures) == {"ConnectFailedError": 5}
    assert result.percentile_ms(99) == 0.0


def test_request_texts_differ_and_their_answers_are_upper_case() -> None:
    assert request_text(1) != request_text(2)
    assert expected_answer(3) == "REQUEST 3 OF THE LOAD, GRÜSSE"


# -- bad options and no Docker: one clear line and exit status 2 -------------------------------


@pytest.mark.parametrize(
    ("module", "args", "message"),
    [
        ("image_economy", ["--rounds", "0"], "--rounds must be >= 1, got 0"),
        ("image_economy", ["--chain", "missing.py"], "--chain missing.py: not a chain file"),
        ("container_load", ["--requests", "0"], "--requests must be >= 1, got 0"),
        ("container_load", ["--concurrency", "0"], "--concurrency must be >= 1, got 0"),
        ("container_load", ["--wrk", "-1"], "--wrk must be >= 0, got -1"),
    ],
)
def test_bad_options_exit_2(module: str, args: list[str], message: str) -> None:
    done, _ = _benchmark(module, *args)
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_a_chain_without_a_place_to_edit_exits_2(tmp_path: Path) -> None:
    chain = tmp_path / "chain.py"
    chain.write_text("class Echo:\n    def run_remote(self, v: int) -> int: return v\n")
    done, _ = _benchmark("image_economy", "--chain", str(chain))
    assert done.returncode == 2
    assert done.stderr.startswith("image_economy: error: ")
    assert done.stderr.count("\n") == 1


# -- the scripts end to end ----------------------------------------------------------------------

_LOAD_ROW = re.compile(r"^(python|wrk   ) +(\d+) +8 +0 +(\d+) +(\d+\.\d\d) +(\d+\.\d\d)$")


def test_container_load_prints_its_table_and_tears_down(docker_ready: None) -> None:
    args = ["--requests", "200", "--concurrency", "8", "--warmup", "20"]
    with_wrk = shutil.which("wrk") is not None
    done, pid = _benchmark("container_load", *args, *(["--wrk", "1"] if with_wrk else []))
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[0].startswith("chain: benchmarks/data/speed_chain.py (Shout -> Upper)")
    assert lines[1] == HEADER
    rows = [_LOAD_ROW.match(line) for line in lines[2:]]
    assert all(rows) and len(rows) == (2 if with_wrk else 1), lines
    for row in rows:
        assert row is not None
        requests, requests_per_s = int(row.group(2)), int(row.group(3))
        p50, p99 = float(row.group(4)), float(row.group(5))
        assert requests > 0 and requests_per_s > 0 and 0 < p50 <= p99
    assert rows[0] is not None and rows[0].group(1) == "python" and rows[0].group(2) == "200"
    # compose_chain names the project e2e<pid><8 hex digits>; none of its containers is left.
    projects = _docker_lines(
        "ps", "-a", "--filter", "label=com.docker.compose.project",
        "--format", '{{.Label "com.docker.compose.project"}}',
    )
    assert not [name for name in projects if re.fullmatch(f"e2e{pid}[0-9a-f]{{8}}", name)]


_IMAGE_ROW = re.compile(r"^(hello-all|say-hello) +(\d+\.\d) +(\d+\.\d) +(\d+) +(\d+) +(\d+\.\d)$")
_SECONDS_ROW = re.compile(r"^(full \(nothing cached\)|rebuild \(code change\)) +(\d+\.\d\d)$")
_RATIO = re.compile(r"^rebuild / full build: (\d+\.\d)% \(target <= 20%\): (met|MISSED)$")
_RUN_LABEL = "label=chains.image-economy.run"


def test_image_economy_prints_its_table_and_removes_its_images(docker_ready: None) -> None:
    before = set(_docker_lines("images", "-aq", "--no-trunc", "--filter", _RUN_LABEL))
    done, _ = _benchmark("image_economy")
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert re.fullmatch(
        r"chain: examples/hello/chain\.py; base image chains-base:bookworm "
        r"\((\d+\.\d) MB\); medians of 1 round\(s\)",
        lines[0],
    )
    base_mb = float(lines[0].split("(")[1].split()[0])
    assert lines[1] == "code-only change: a string literal edited in SayHello.run_remote (line 16)"
    assert lines[2].split() == ["image", "size", "MB", "added", "MB", "steps", "rebuilt", "new",
                                "layers", "kB"]
    rows = [_IMAGE_ROW.match(line) for line in lines[3:5]]
    assert all(rows), lines
    for row in rows:
        assert row is not None
        size, added, steps, rebuilt, new_kb = (float(value) for value in row.groups()[1:])
        assert abs(size - added - base_mb) <= 0.2
        assert 0 < rebuilt < steps
        # A code-only change adds kilobytes, not the runtime's megabytes again.
        assert 0 < new_kb < 100 < added * 1000
    assert lines[5].split() == ["build", "seconds"]
    timed = [_SECONDS_ROW.match(line) for line in lines[6:8]]
    assert all(timed), lines
    seconds = {match.group(1): float(match.group(2)) for match in timed if match}
    full, rebuild = seconds["full (nothing cached)"], seconds["rebuild (code change)"]
    assert 0 < rebuild < full
    ratio = _RATIO.match(lines[8])
    assert ratio, lines
    assert abs(float(ratio.group(1)) - 100 * rebuild / full) <= 0.2
    assert len(lines) == 9
    after = set(_docker_lines("images", "-aq", "--no-trunc", "--filter", _RUN_LABEL))
    assert after <= before, "image_economy left images behind"
