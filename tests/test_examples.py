"""Every example chain runs: through ``chains-run`` in both modes, and through ``run_local``.

Each case gives an example, its ``--input`` and the exact stdout ``chains-run`` must print:
one line of compact JSON per result (per item for a stream). HTTP mode (one process per
chainlet) and ``--in-process`` must both print exactly that. The same expected lines are
checked against the Python API (``run_local``) in this process. The examples are also held to
the project's standards: chains-lint without findings and ``mypy --strict``.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import os
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

import chains_runtime as chains
import pydantic
import pydantic_core
import pytest
from chains_runtime import import_alias

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
CHAINS_RUN = Path(sys.executable).parent / "chains-run"
RUN_TIMEOUT_SEC = 60.0
STOP_GRACE_SEC = 10.0

# Secret values long enough that chains-run would mask them, and unlike any other output.
SIGNING_KEY = "whsec-local-test-key-7f3a9c"
HF_TOKEN = "hf_exampleTokenForTests0042"


@dataclass(frozen=True)
class Case:
    """One example run: the chain file, its input, and the stdout lines it must print."""

    id: str
    chain: str
    entrypoint: str
    input: dict[str, Any]
    stdout_lines: tuple[str, ...]
    secrets: Mapping[str, str] = field(default_factory=dict)

    @property
    def path(self) -> Path:
        return EXAMPLES / self.chain

    @property
    def stdout(self) -> str:
        return "".join(line + "\n" for line in self.stdout_lines)


CASES = [
    Case(
        id="hello",
        chain="hello/chain.py",
        entrypoint="HelloAll",
        input={"names": ["Ada", "Grâce"]},
        stdout_lines=('"Hello, Ada\\nHello, Grâce"',),
    ),
    Case(
        id="split_text",
        chain="split_text/chain.py",
        entrypoint="TextSplitter",
        input={
            "inputs": {
                "data": "the quick brown fox jumps over the lazy dog",
                "num_partitions": 3,
                "mode": "MODE_1",
            }
        },
        stdout_lines=(
            '{"parts":["the quick brown","fox jumps over","the lazy dog"],"part_lens":[15,14,12]}',
        ),
    ),
    Case(
        id="gated_model",
        chain="gated_model/chain.py",
        entrypoint="MistralLLM",
        input={"prompt": "  Name three prime numbers.  "},
        stdout_lines=('"<s>[INST] Name three prime numbers. [/INST]"',),
        secrets={"hf_access_token": HF_TOKEN},
    ),
    Case(
        id="streaming",
        chain="streaming/chain.py",
        entrypoint="Annotator",
        input={"prompt": "tokens arrive one at a time", "max_tokens": 4},
        stdout_lines=(
            '{"index":0,"token":"tokens","chars_so_far":6}',
            '{"index":1,"token":"arrive","chars_so_far":12}',
            '{"index":2,"token":"one","chars_so_far":15}',
            '{"index":3,"token":"at","chars_so_far":17}',
        ),
    ),
    Case(
        id="multi_file",
        chain="multi_file/chain.py",
        entrypoint="Summarizer",
        input={
            "documents": [
                {
                    "title": "Chains",
                    "body": "A chain is made of chainlets. Each chainlet runs in its own "
                    "container! Chainlets call chainlets.",
                },
                {"title": "Blank", "body": ""},
            ],
            "top_k": 2,
        },
        stdout_lines=(
            '[{"title":"Chains","outline":{"word_count":16,"sentence_count":3,'
            '"first_sentence":"A chain is made of chainlets."},'
            '"keywords":[{"word":"chainlets","count":3},{"word":"call","count":1}]},'
            '{"title":"Blank","outline":{"word_count":0,"sentence_count":0,"first_sentence":""},'
            '"keywords":[]}]',
        ),
    ),
    Case(
        id="secret",
        chain="secret/chain.py",
        entrypoint="SignedWebhook",
        input={"message": "order 1234 shipped"},
        # printf 'order 1234 shipped' | openssl dgst -sha256 -hmac whsec-local-test-key-7f3a9c
        stdout_lines=(
            '{"message":"order 1234 shipped","algorithm":"hmac-sha256",'
            '"signature":"8ff44f26b8a5dc9235486d1567d81956c6a22a2f2fe066fc52321977615e4857"}',
        ),
        secrets={"webhook_signing_key": SIGNING_KEY},
    ),
    Case(
        id="model",
        chain="model/chain.py",
        entrypoint="Sentiment",
        input={"texts": ["I love this, great and fast!", "Slow and broken.", "It is a chair."]},
        stdout_lines=(
            '[{"text":"I love this, great and fast!","label":"positive","score":5.0},'
            '{"text":"Slow and broken.","label":"negative","score":-3.0},'
            '{"text":"It is a chair.","label":"neutral","score":0.0}]',
        ),
    ),
    Case(
        id="numpy_binary",
        chain="numpy_binary/chain.py",
        entrypoint="Ranker",
        input={"query": "numpy arrays", "texts": ["raw bytes of arrays", "a cup of tea", "numpy"]},
        stdout_lines=(
            '[{"text":"numpy","score":0.656},{"text":"a cup of tea","score":0.268},'
            '{"text":"raw bytes of arrays","score":-0.185}]',
        ),
    ),
]
CASES_BY_ID = {case.id: case for case in CASES}


# chains-run #############################################################################


@pytest.fixture(scope="module")
def chains_run() -> Path:
    assert CHAINS_RUN.is_file(), (
        f"{CHAINS_RUN} is missing: install the project (`pip install -e .`), "
        "which provides the chains-run command"
    )
    return CHAINS_RUN


def run(command: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``command`` and wait; on a timeout or any failure, stop it and all it started.

    SIGTERM first (chains-run then stops its chainlet processes itself), then SIGKILL to the
    whole process group, which holds the chainlet processes too.
    """
    process = subprocess.Popen(
        [str(command), *args],
        cwd=ROOT,
        stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(stdin, timeout=RUN_TIMEOUT_SEC)
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.communicate(timeout=STOP_GRACE_SEC)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)  # whatever is left of the group
        process.wait()
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def secret_args(secrets: Mapping[str, str]) -> list[str]:
    return [arg for key, value in secrets.items() for arg in ("--secret", f"{key}={value}")]


def input_arg(arguments: Mapping[str, Any]) -> str:
    return pydantic_core.to_json(arguments).decode("utf-8")


def describe(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_chains_run_prints_the_result_in_both_modes(chains_run: Path, case: Case) -> None:
    args = [str(case.path), "--input", input_arg(case.input), *secret_args(case.secrets)]
    over_http = run(chains_run, *args)
    in_process = run(chains_run, *args, "--in-process")
    assert over_http.returncode == 0, describe(over_http)
    assert in_process.returncode == 0, describe(in_process)
    assert over_http.stdout == case.stdout
    assert in_process.stdout == over_http.stdout
    for value in case.secrets.values():
        for result in (over_http, in_process):
            assert value not in result.stdout + result.stderr


@pytest.mark.parametrize("mode", [[], ["--in-process"]], ids=["http", "in_process"])
def test_secret_from_a_secrets_dir(chains_run: Path, tmp_path: Path, mode: list[str]) -> None:
    case = CASES_BY_ID["secret"]
    (tmp_path / "webhook_signing_key").write_text(SIGNING_KEY + "\n", encoding="utf-8")
    result = run(
        chains_run,
        str(case.path),
        "--input",
        input_arg(case.input),
        "--secrets-dir",
        str(tmp_path),
        *mode,
    )
    assert result.returncode == 0, describe(result)
    assert result.stdout == case.stdout
    assert SIGNING_KEY not in result.stdout + result.stderr


@pytest.mark.parametrize("mode", [[], ["--in-process"]], ids=["http", "in_process"])
def test_a_missing_secret_fails_naming_the_key(chains_run: Path, mode: list[str]) -> None:
    case = CASES_BY_ID["secret"]
    result = run(chains_run, str(case.path), "--input", input_arg(case.input), *mode)
    assert result.returncode == 1, describe(result)
    assert result.stdout == ""
    assert "webhook_signing_key" in result.stderr


@pytest.mark.parametrize("mode", [[], ["--in-process"]], ids=["http", "in_process"])
def test_a_rejected_token_is_not_shown(chains_run: Path, mode: list[str]) -> None:
    case = CASES_BY_ID["gated_model"]
    wrong = "not-a-hugging-face-token-5521"
    result = run(
        chains_run,
        str(case.path),
        "--input",
        input_arg(case.input),
        "--secret",
        f"hf_access_token={wrong}",
        *mode,
    )
    assert result.returncode == 1, describe(result)
    assert result.stdout == ""
    assert "is not a Hugging Face access token" in result.stderr
    assert wrong not in result.stderr


@pytest.mark.parametrize("mode", [[], ["--in-process"]], ids=["http", "in_process"])
def test_zero_partitions_are_refused_before_the_chain_runs(
    chains_run: Path, mode: list[str]
) -> None:
    case = CASES_BY_ID["split_text"]
    arguments = {"inputs": {**case.input["inputs"], "num_partitions": 0}}
    result = run(chains_run, str(case.path), "--input", input_arg(arguments), *mode)
    assert result.returncode == 2, describe(result)
    assert result.stdout == ""
    assert "num_partitions" in result.stderr


# The Python API: run_local ##############################################################


@pytest.fixture
def load_example(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], ModuleType]]:
    """Import an example's chain file in this process, as a module of its own name.

    Every example file is called chain.py, so each gets a unique module name; its folder goes
    on ``sys.path`` for its local imports. The example's modules are forgotten afterwards.
    """
    import_alias.install()

    def load(path: Path) -> ModuleType:
        monkeypatch.syspath_prepend(str(path.parent))
        name = f"example_{path.parent.name}_chain"
        spec = importlib.util.spec_from_file_location(name, path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        return module

    yield load
    for name, module in list(sys.modules.items()):
        if EXAMPLES in Path(getattr(module, "__file__", None) or "/").parents:
            del sys.modules[name]


async def call_entrypoint(entrypoint: chains.ChainletBase, arguments: dict[str, Any]) -> list[Any]:
    """Call ``run_remote`` with JSON arguments validated by its annotations; list the results."""
    run_remote = pydantic.validate_call(getattr(entrypoint, "run_remote"))  # noqa: B009
    result = run_remote(**arguments)
    if isinstance(result, AsyncIterator):
        return [item async for item in result]
    return [await result]


def as_json_lines(values: list[Any]) -> tuple[str, ...]:
    return tuple(pydantic_core.to_json(value).decode("utf-8") for value in values)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_run_local_gives_the_same_results(
    case: Case, load_example: Callable[[Path], ModuleType]
) -> None:
    module = load_example(case.path)
    with chains.run_local(secrets=case.secrets):
        entrypoint = getattr(module, case.entrypoint)()
    results = asyncio.run(call_entrypoint(entrypoint, case.input))
    assert as_json_lines(results) == case.stdout_lines


def test_split_text_by_characters(load_example: Callable[[Path], ModuleType]) -> None:
    module = load_example(CASES_BY_ID["split_text"].path)
    with chains.run_local():
        splitter = module.TextSplitter()
    inputs = module.SplitTextInput(data="abcdefghij", num_partitions=3, mode=module.Modes.MODE_0)
    output = asyncio.run(splitter.run_remote(inputs))
    assert output == module.SplitTextOutput(parts=["abcd", "efg", "hij"], part_lens=[4, 3, 3])


def test_split_text_refuses_zero_partitions(load_example: Callable[[Path], ModuleType]) -> None:
    module = load_example(CASES_BY_ID["split_text"].path)
    with pytest.raises(pydantic.ValidationError, match="num_partitions"):
        module.SplitTextInput(data="abc", num_partitions=0, mode=module.Modes.MODE_0)


def test_a_missing_secret_stops_the_signer_at_start(
    load_example: Callable[[Path], ModuleType],
) -> None:
    module = load_example(CASES_BY_ID["secret"].path)
    with pytest.raises(chains.MissingSecretError, match="webhook_signing_key"), chains.run_local():
        module.SignedWebhook()


# The examples meet the project's standards ##############################################

EXAMPLE_FOLDERS = sorted(path.parent for path in EXAMPLES.glob("*/chain.py"))


WEBSOCKET_EXAMPLES = (EXAMPLES / "websocket",)
"""Examples whose entrypoint takes a websocket: no one-call run; tests/test_chains_run_websocket
drives them through ``chains-run --serve``, tests/e2e/test_e2e_websocket in containers."""


def test_every_example_has_a_case() -> None:
    covered = [*(case.path.parent for case in CASES), *WEBSOCKET_EXAMPLES]
    assert sorted(covered) == EXAMPLE_FOLDERS


def _documented_runs() -> dict[str, tuple[list[str], tuple[str, ...]]]:
    """docs/examples.md's console blocks: chain path -> (chains-run arguments, output lines)."""
    text = (ROOT / "docs" / "examples.md").read_text(encoding="utf-8")
    runs = {}
    for block in re.findall(r"```console\n(.*?)```", text, re.S):
        command, *output = block.splitlines()
        program, path, *args = shlex.split(command.removeprefix("$ "))
        assert program == "chains-run", command
        runs[path] = (args, tuple(output))
    return runs


def test_the_documented_runs_are_the_tested_ones() -> None:
    runs = _documented_runs()
    assert sorted(runs) == sorted(f"examples/{case.chain}" for case in CASES)
    for case in CASES:
        args, output = runs[f"examples/{case.chain}"]
        assert args[:1] == ["--input"], args
        assert json.loads(args[1]) == case.input
        assert args[2:] == secret_args(case.secrets)
        assert output == case.stdout_lines


def test_chains_lint_finds_nothing() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "chains_lint", "examples/"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, describe(result)
    assert re.fullmatch(r"All checks passed \(\d+ files\)\.\n", result.stdout), result.stdout


@pytest.fixture(scope="module")
def truss_chains_stub(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A stub folder that lets mypy resolve ``truss_chains`` to chains_runtime, as at run time."""
    folder = tmp_path_factory.mktemp("stubs")
    (folder / "truss_chains").mkdir()
    (folder / "truss_chains" / "__init__.pyi").write_text(
        "from chains_runtime import *\nfrom chains_runtime import __all__ as __all__\n",
        encoding="utf-8",
    )
    (folder / "truss_chains" / "pydantic_numpy.pyi").write_text(
        "from chains_runtime.pydantic_numpy import NumpyArrayField as NumpyArrayField\n",
        encoding="utf-8",
    )
    return folder


@pytest.mark.parametrize("folder", EXAMPLE_FOLDERS, ids=[p.name for p in EXAMPLE_FOLDERS])
def test_mypy_strict_passes(folder: Path, truss_chains_stub: Path) -> None:
    # Each example on its own: they are all called chain.py, which one mypy run refuses.
    cache = truss_chains_stub.parent / "mypy_cache"
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--cache-dir", str(cache), "chain.py"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MYPYPATH": f"{truss_chains_stub}{os.pathsep}{ROOT / 'runtime'}"},
        check=False,
    )
    assert result.returncode == 0, describe(result)
