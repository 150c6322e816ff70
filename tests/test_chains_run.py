"""``chains-run``: real chain files, real chainlet processes on loopback, real signals.

Most cases use one chain file of small chainlets (``LAB``), each run with ``--entrypoint``; the
file marks no entrypoint, which is itself a case. Every process a test starts is stopped even
when the test fails: ``chains-run`` through its process group, and any chainlet process left
over (found by the test's own chain path on its command line) by its pid.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from chains_runtime.protocol import SERVICE_TOKEN_HEADER

ROOT = Path(__file__).resolve().parent.parent
HELLO = ROOT / "examples" / "hello" / "chain.py"
CHAINS_RUN = Path(sys.executable).parent / "chains-run"
RUN_TIMEOUT_SEC = 60.0
TOKEN_VALUE = "tok-4c1d-secret-value-93ab"

LAB = """
import asyncio
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path

import truss_chains as chains


class Fails(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        raise ValueError(f"no greeting for {name}")


class CallsFails(chains.ChainletBase):
    def __init__(self, fails: Fails = chains.depends(Fails)) -> None:
        self._fails = fails

    async def run_remote(self, name: str) -> str:
        return await self._fails.run_remote(name)


class Counter(chains.ChainletBase):
    async def run_remote(self, gate: str, fail_early: bool = False) -> AsyncIterator[str]:
        yield "first"
        if fail_early:
            raise RuntimeError("the stream broke")
        deadline = time.monotonic() + 30
        while not Path(gate).exists():
            if time.monotonic() > deadline:
                raise TimeoutError("the gate never opened")
            await asyncio.sleep(0.02)
        yield "second"


class StreamsCounter(chains.ChainletBase):
    def __init__(self, counter: Counter = chains.depends(Counter)) -> None:
        self._counter = counter

    async def run_remote(self, gate: str, fail_early: bool = False) -> AsyncIterator[str]:
        async for item in self._counter.run_remote(gate=gate, fail_early=fail_early):
            yield item


class Slow(chains.ChainletBase):
    async def run_remote(self, started: str) -> str:
        Path(started).write_text("started")
        await asyncio.sleep(60)
        return "late"


class CallsSlow(chains.ChainletBase):
    def __init__(self, slow: Slow = chains.depends(Slow)) -> None:
        self._slow = slow

    async def run_remote(self, started: str) -> str:
        return await self._slow.run_remote(started=started)


class WritesLate(chains.ChainletBase):
    async def run_remote(self, budget: str, late: str) -> str:
        Path(budget).write_text(repr(chains.remaining_time_sec()))
        await asyncio.sleep(2.5)
        Path(late).write_text("written after the deadline")
        return "late"


class CallsWritesLate(chains.ChainletBase):
    def __init__(self, leaf: WritesLate = chains.depends(WritesLate)) -> None:
        self._leaf = leaf

    async def run_remote(self, budget: str, late: str) -> str:
        return await self._leaf.run_remote(budget=budget, late=late)


class BrokenInit(chains.ChainletBase):
    def __init__(self) -> None:
        raise RuntimeError("the model file is missing")

    async def run_remote(self) -> str:
        return "never"


class CallsBroken(chains.ChainletBase):
    def __init__(self, broken: BrokenInit = chains.depends(BrokenInit)) -> None:
        self._broken = broken

    async def run_remote(self) -> str:
        return await self._broken.run_remote()


class ExitsInInit(chains.ChainletBase):
    def __init__(self) -> None:
        os._exit(3)

    async def run_remote(self) -> str:
        return "never"


class SlowInit(chains.ChainletBase):
    def __init__(self) -> None:
        time.sleep(30)

    async def run_remote(self) -> str:
        return "never"


class SecretReader(chains.ChainletBase):
    remote_config = chains.RemoteConfig(assets=chains.Assets(secret_keys=["api_token"]))

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        self._secrets = context.secrets

    async def run_remote(self, fail: bool = False) -> str:
        token = self._secrets["api_token"]
        if fail:
            raise ValueError(f"the token {token} was rejected")
        return f"a token of {len(token)} characters"


class DataReader(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(data_dir=chains.make_abs_path_here("data"))
    )

    def __init__(self, context: chains.DeploymentContext = chains.depends_context()) -> None:
        assert context.data_dir is not None
        self._greeting = (context.data_dir / "greeting.txt").read_text().strip()

    def run_remote(self) -> str:
        return self._greeting


class SecretUser(chains.ChainletBase):
    def __init__(
        self,
        reader: SecretReader = chains.depends(SecretReader),
        context: chains.DeploymentContext = chains.depends_context(),
    ) -> None:
        self._reader = reader
        self._secrets = context.secrets

    async def run_remote(self, fail: bool = False) -> list[object]:
        return [await self._reader.run_remote(fail=fail), len(self._secrets)]
"""

# A sync chain returning pydantic models and non-ASCII text, printing along the way.
MODELS = """
import pydantic
import truss_chains as chains

print("importing the chain file")


class Item(pydantic.BaseModel):
    name: str
    score: float


class Scorer(chains.ChainletBase):
    def run_remote(self, name: str) -> Item:
        print("scoring", name)
        return Item(name=name, score=len(name) / 2)


@chains.mark_entrypoint
class Entry(chains.ChainletBase):
    def __init__(self, scorer: Scorer = chains.depends(Scorer)) -> None:
        self._scorer = scorer

    def run_remote(self, names: list[str], suffix: str = "\u2713") -> list[Item]:
        print("entry called")
        return [self._scorer.run_remote(name + suffix) for name in names]
"""

Cleanup = Callable[[subprocess.Popen[bytes]], subprocess.Popen[bytes]]


# helpers ###############################################################################


def serve_processes(marker: Path) -> list[int]:
    """Pids of live chainlet processes serving a chain under ``marker``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().decode(errors="replace")
            state = (entry / "stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            continue
        if "chains_runtime.serve" in cmdline and str(marker) in cmdline and state != "Z":
            pids.append(int(entry.name))
    return pids


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def kill_leftovers(marker: Path) -> list[int]:
    left = serve_processes(marker)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return left


def stop_process(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (chains-run then stops its chainlets), then SIGKILL to its process group."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def run(*args: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run chains-run to its end (bounded); stop it and everything it started on any failure."""
    process = subprocess.Popen(
        [str(CHAINS_RUN), *map(str, args)],
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(
            stdin.encode() if stdin is not None else None, timeout=RUN_TIMEOUT_SEC
        )
    finally:
        stop_process(process)
    return subprocess.CompletedProcess(
        process.args, process.returncode, stdout.decode(), stderr.decode()
    )


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


@pytest.fixture(scope="module")
def chains_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    folder = tmp_path_factory.mktemp("chains")
    (folder / "lab.py").write_text(LAB, encoding="utf-8")
    (folder / "models.py").write_text(MODELS, encoding="utf-8")
    (folder / "data").mkdir()
    (folder / "data" / "greeting.txt").write_text("hello from the data folder\n")
    yield folder
    assert not kill_leftovers(folder), "chainlet processes were left behind"


@pytest.fixture
def lab(chains_dir: Path) -> Path:
    return chains_dir / "lab.py"


@pytest.fixture
def started() -> Iterator[Cleanup]:
    """Register a long-running chains-run; it is stopped at the end of the test."""
    processes: list[subprocess.Popen[bytes]] = []

    def register(process: subprocess.Popen[bytes]) -> subprocess.Popen[bytes]:
        processes.append(process)
        return process

    yield register
    for process in processes:
        stop_process(process)


def spawn(*args: str | Path, out: Path, err: Path) -> subprocess.Popen[bytes]:
    with out.open("wb") as stdout, err.open("wb") as stderr:
        return subprocess.Popen(
            [str(CHAINS_RUN), *map(str, args)],
            stdin=subprocess.DEVNULL,
            stdout=stdout,
            stderr=stderr,
            start_new_session=True,
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


MODES = pytest.mark.parametrize("mode", [[], ["--in-process"]], ids=["http", "in_process"])


# results ###############################################################################


def test_hello_prints_the_same_result_in_both_modes() -> None:
    args: list[str | Path] = [HELLO, "--input", '{"names": ["Ada", "Grace"]}']
    over_http = run(*args)
    in_process = run(*args, "--in-process")
    assert over_http.returncode == 0, describe(over_http)
    assert in_process.returncode == 0, describe(in_process)
    assert over_http.stdout == '"Hello, Ada\\nHello, Grace"\n'
    assert in_process.stdout == over_http.stdout
    assert "starting 2 chainlets: HelloAll, SayHello" in over_http.stderr
    assert re.search(r"ready in \d+\.\d s", over_http.stderr)


def test_models_non_ascii_and_sync_calls_print_identically_and_prints_stay_off_stdout(
    chains_dir: Path,
) -> None:
    args: list[str | Path] = [chains_dir / "models.py", "--input", '{"names": ["Ada", "Bo"]}']
    over_http = run(*args)
    in_process = run(*args, "--in-process")
    expected = '[{"name":"Ada\u2713","score":2.0},{"name":"Bo\u2713","score":1.5}]\n'
    assert over_http.returncode == 0, describe(over_http)
    assert in_process.returncode == 0, describe(in_process)
    assert over_http.stdout == expected
    assert in_process.stdout == expected
    # The chain's own prints go to stderr (in-process) or the chainlets' logs, never stdout.
    assert "importing the chain file" in in_process.stderr
    assert "entry called" in in_process.stderr


def test_input_from_a_file_and_from_stdin(tmp_path: Path) -> None:
    (tmp_path / "input.json").write_text('{"names": ["Lin"]}', encoding="utf-8")
    from_file = run(HELLO, "--input", f"@{tmp_path / 'input.json'}", "--in-process")
    from_stdin = run(HELLO, "--input", "-", "--in-process", stdin='{"names": ["Lin"]}')
    assert from_file.stdout == from_stdin.stdout == '"Hello, Lin"\n', describe(from_file)


@MODES
def test_a_stream_is_printed_item_by_item(
    lab: Path, tmp_path: Path, mode: list[str], started: Cleanup
) -> None:
    gate = tmp_path / "gate"
    out, err = tmp_path / "out", tmp_path / "err"
    arguments = json.dumps({"gate": str(gate)})
    process = started(
        spawn(lab, "--entrypoint", "StreamsCounter", "--input", arguments, *mode, out=out, err=err)
    )
    # The first item is out while the chain is still waiting for the gate.
    wait_for(lambda: out.read_bytes() == b'"first"\n', "the first item")
    assert process.poll() is None
    gate.touch()
    assert process.wait(timeout=RUN_TIMEOUT_SEC) == 0, err.read_text()
    assert out.read_bytes() == b'"first"\n"second"\n'


@MODES
def test_a_chainlet_reads_its_data_dir(lab: Path, mode: list[str]) -> None:
    result = run(lab, "--entrypoint", "DataReader", *mode)
    assert result.returncode == 0, describe(result)
    assert result.stdout == '"hello from the data folder"\n'


# failures ##############################################################################


@MODES
def test_a_chainlet_error_exits_1_naming_the_chainlet_type_and_traceback(
    lab: Path, mode: list[str]
) -> None:
    result = run(lab, "--entrypoint", "CallsFails", "--input", '{"name": "Eve"}', *mode)
    assert result.returncode == 1, describe(result)
    assert result.stdout == ""
    assert "chainlet `Fails` raised ValueError: no greeting for Eve" in result.stderr
    assert "traceback of `Fails`" in result.stderr
    assert 'raise ValueError(f"no greeting for {name}")' in result.stderr


@MODES
def test_a_stream_that_fails_midway_keeps_its_items_and_exits_1(lab: Path, mode: list[str]) -> None:
    arguments = json.dumps({"gate": "/nonexistent", "fail_early": True})
    result = run(lab, "--entrypoint", "StreamsCounter", "--input", arguments, *mode)
    assert result.returncode == 1, describe(result)
    assert result.stdout == '"first"\n'
    assert "chainlet `Counter` raised RuntimeError: the stream broke" in result.stderr


@MODES
def test_a_failing_init_exits_1_naming_the_chainlet(
    lab: Path, chains_dir: Path, mode: list[str]
) -> None:
    result = run(lab, "--entrypoint", "CallsBroken", *mode)
    assert result.returncode == 1, describe(result)
    assert result.stdout == ""
    assert "chainlet `BrokenInit` failed in __init__" in result.stderr
    # Its log tail (HTTP) or traceback (in-process) shows why.
    assert "RuntimeError: the model file is missing" in result.stderr
    assert not serve_processes(chains_dir)


def test_a_chainlet_process_that_exits_is_named_with_its_status(
    lab: Path, chains_dir: Path
) -> None:
    result = run(lab, "--entrypoint", "ExitsInInit")
    assert result.returncode == 1, describe(result)
    assert "chainlet `ExitsInInit` exited with status 3 before it was ready" in result.stderr
    assert "last lines of the log of `ExitsInInit`" in result.stderr
    assert not serve_processes(chains_dir)


def test_a_chainlet_not_ready_in_time_fails_the_run(lab: Path, chains_dir: Path) -> None:
    began = time.monotonic()
    result = run(lab, "--entrypoint", "SlowInit", "--startup-timeout", "1")
    assert result.returncode == 1, describe(result)
    assert "chainlet `SlowInit` was not ready within the startup timeout" in result.stderr
    assert time.monotonic() - began < 25  # a hang guard, below SlowInit's 30 s in __init__
    assert not serve_processes(chains_dir)


@MODES
def test_timeout_fails_a_slow_call(lab: Path, tmp_path: Path, mode: list[str]) -> None:
    arguments = json.dumps({"started": str(tmp_path / "started")})
    result = run(lab, "--entrypoint", "CallsSlow", "--input", arguments, "--timeout", "1", *mode)
    assert result.returncode == 1, describe(result)
    assert "the call to `CallsSlow` did not finish within 1 s (--timeout)" in result.stderr


def test_timeout_travels_as_a_deadline_so_the_chain_stops_with_it(
    lab: Path, tmp_path: Path
) -> None:
    budget, late = tmp_path / "budget", tmp_path / "late"
    arguments = json.dumps({"budget": str(budget), "late": str(late)})
    began = time.monotonic()
    result = run(lab, "--entrypoint", "CallsWritesLate", "--input", arguments, "--timeout", "1")
    assert result.returncode == 1, describe(result)
    assert "the call to `CallsWritesLate` did not finish within 1 s (--timeout)" in result.stderr
    # The leaf, two hops down, got what was left of the 1 s (x-chains-deadline-ms)...
    remaining = float(budget.read_text())
    assert 0 < remaining <= 1.0
    # ...and was stopped at it: its write, due 2.5 s after it started, never happens.
    time.sleep(max(0.0, began + 4.0 - time.monotonic()))
    assert not late.exists()


# usage errors ##########################################################################


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--input", '{"names": '], "--input is not valid JSON"),
        (["--input", '["Ada"]'], "must be a JSON object"),
        (["--input", '{"names": ["Ada"], "loud": true}'], "argument `loud`: Extra inputs"),
        (["--input", '{"names": "Ada"}'], "argument `names`: Input should be a valid array"),
        (["--input", "{}"], "argument `names`: Field required"),
        (["--input", "@/nonexistent/input.json"], "cannot read --input file"),
        (["--secret", "chains_unset_for_tests"], "variable `chains_unset_for_tests` is not set"),
        (["--secrets-dir", "/nonexistent/secrets"], "is not a directory"),
        (["--entrypoint", "Nobody"], "has no chainlet `Nobody`"),
        (["--serve", "--input", "{}"], "--input is not allowed with --serve"),
        (["--port", "8080"], "--port only applies with --serve"),
        (["--timeout", "-1"], "expected a positive number of seconds"),
        (
            ["--in-process", "--max-head-bytes", "1024"],
            "chains-run: error: --max-head-bytes applies to served chainlets only, "
            "not to --in-process\n",
        ),
        (
            ["--in-process", "--idle-timeout", "5"],
            "--idle-timeout applies to served chainlets only",
        ),
        (["--bogus"], "unrecognized arguments"),
    ],
)
def test_usage_errors_exit_2(arguments: list[str], message: str) -> None:
    result = run(HELLO, *arguments)
    assert result.returncode == 2, describe(result)
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_path_errors_exit_2(tmp_path: Path, lab: Path) -> None:
    (tmp_path / "empty.py").write_text("X = 1\n", encoding="utf-8")
    (tmp_path / "broken.py").write_text("import truss_chains as chains\n1/0\n", encoding="utf-8")
    cases = {
        tmp_path / "missing.py": "does not exist",
        tmp_path / "empty.py": "defines no chainlet",
        tmp_path / "broken.py": "ZeroDivisionError: division by zero",
        lab: "marks none as the entrypoint",
    }
    for path, message in cases.items():
        result = run(path)
        assert result.returncode == 2, describe(result)
        assert message in result.stderr
        assert "Traceback" not in result.stderr


# secrets ###############################################################################


@MODES
def test_a_secret_reaches_only_the_chainlet_that_declares_it(lab: Path, mode: list[str]) -> None:
    result = run(lab, "--entrypoint", "SecretUser", "--secret", f"api_token={TOKEN_VALUE}", *mode)
    assert result.returncode == 0, describe(result)
    assert result.stdout == f'["a token of {len(TOKEN_VALUE)} characters",0]\n'
    assert TOKEN_VALUE not in result.stderr


@MODES
def test_secret_values_are_masked_in_errors(lab: Path, mode: list[str]) -> None:
    arguments = ["--entrypoint", "SecretUser", "--input", '{"fail": true}']
    result = run(lab, *arguments, "--secret", f"api_token={TOKEN_VALUE}", *mode)
    assert result.returncode == 1, describe(result)
    assert "ValueError: the token *** was rejected" in result.stderr
    assert TOKEN_VALUE not in result.stderr


@MODES
def test_a_missing_secret_is_named(lab: Path, mode: list[str]) -> None:
    result = run(lab, "--entrypoint", "SecretUser", *mode)
    assert result.returncode == 1, describe(result)
    assert "`SecretReader` declares the secret `api_token`, which has no value" in result.stderr
    assert "MissingSecretError" in result.stderr


# signals and --serve ###################################################################


def test_ctrl_c_during_a_call_stops_every_chainlet(
    lab: Path, chains_dir: Path, tmp_path: Path, started: Cleanup
) -> None:
    flag = tmp_path / "started"
    out, err = tmp_path / "out", tmp_path / "err"
    arguments = json.dumps({"started": str(flag)})
    process = started(
        spawn(lab, "--entrypoint", "CallsSlow", "--input", arguments, out=out, err=err)
    )
    wait_for(flag.exists, "the slow call to start")
    children = serve_processes(chains_dir)
    assert len(children) == 2
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=20) == 128 + signal.SIGINT, err.read_text()
    assert not [pid for pid in children if alive(pid)]
    assert "interrupted by SIGINT" in err.read_text()
    assert out.read_bytes() == b""


def test_chainlets_die_with_a_killed_launcher(
    lab: Path, chains_dir: Path, tmp_path: Path, started: Cleanup
) -> None:
    out, err = tmp_path / "out", tmp_path / "err"
    process = started(
        spawn(lab, "--entrypoint", "Fails", "--serve", "--port", "0", out=out, err=err)
    )
    wait_for(lambda: "serving Fails at" in err.read_text(), "the chain to serve")
    children = serve_processes(chains_dir)
    assert len(children) == 1
    process.kill()
    process.wait()
    wait_for(lambda: not alive(children[0]), "the orphaned chainlet to end")


@pytest.fixture(scope="module")
def served_hello(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """The hello chain under --serve with an API key: (entrypoint URL, internal URL, stderr)."""
    folder = tmp_path_factory.mktemp("served")
    chain = folder / "hello.py"  # a path of its own: its processes are told apart by it
    chain.write_text(HELLO.read_text(encoding="utf-8"), encoding="utf-8")
    err = folder / "err"
    port = free_port()
    process = spawn(
        chain, "--serve", "--port", str(port), "--api-key", "key-for-tests-1234",
        out=folder / "out", err=err,
    )  # fmt: skip
    try:
        wait_for(lambda: "serving HelloAll at" in err.read_text(), "the chain to serve")
        internal = re.search(r"internal chainlet SayHello at (\S+)", err.read_text())
        assert internal is not None, err.read_text()
        yield f"http://127.0.0.1:{port}/run_remote", internal.group(1), err
        children = serve_processes(chain)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0, err.read_text()
        assert children and not [pid for pid in children if alive(pid)]
    finally:
        stop_process(process)


def test_serve_answers_on_the_port_with_the_api_key(served_hello: tuple[str, str, Path]) -> None:
    url, _, err = served_hello
    assert f"serving HelloAll at {url}" in err.read_text()
    answer = httpx.post(
        url, json={"names": ["Ada"]}, headers={"x-api-key": "key-for-tests-1234"}, timeout=10
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == "Hello, Ada"
    assert httpx.post(url, json={"names": ["Ada"]}, timeout=10).status_code == 401
    assert "key-for-tests-1234" not in err.read_text()


def test_serve_keeps_internal_chainlets_behind_the_service_token(
    served_hello: tuple[str, str, Path],
) -> None:
    _, internal, _ = served_hello
    denied = httpx.post(internal, json={"name": "Eve"}, timeout=10)
    assert denied.status_code == 401
    forged = httpx.post(
        internal, json={"name": "Eve"}, headers={SERVICE_TOKEN_HEADER: "guess"}, timeout=10
    )
    assert forged.status_code == 401


def test_serve_refuses_a_busy_port() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        result = run(HELLO, "--serve", "--port", str(sock.getsockname()[1]))
    assert result.returncode == 2, describe(result)
    assert "cannot listen on 127.0.0.1:" in result.stderr


# python -m chains_runtime.serve, as chains-run starts it ###############################


@pytest.mark.parametrize(
    ("secrets", "message"),
    [(b'{"api_token": 1}', "must give a JSON object of strings"), (b"[", "JSON object")],
)
def test_serve_refuses_bad_secrets_on_its_pipe(lab: Path, secrets: bytes, message: str) -> None:
    read_end, write_end = os.pipe()
    os.write(write_end, secrets)
    os.close(write_end)
    command = [sys.executable, "-m", "chains_runtime.serve", f"{lab}:Fails"]
    try:
        result = subprocess.run(
            [*command, "--secrets-fd", str(read_end)],
            pass_fds=(read_end,),
            env={**os.environ, "CHAINS_CONFIG": '{"is_entrypoint": true}'},
            capture_output=True,
            text=True,
            timeout=RUN_TIMEOUT_SEC,
        )
    finally:
        os.close(read_end)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
