"""Our ``truss`` profile against real truss, on the corpus of tests/corpus/truss.

A pinned ``truss`` is installed into its own virtual environment under
``.cache/`` (kept between runs), and tests/truss_oracle.py asks it about every
corpus file. Truss rejects a file exactly when our truss profile reports an
error, except for files whose header gives a ``truss-misses`` reason: truss
accepts those although they have a bug we report on purpose.

Without network the install fails: the tests skip, except when ``CI=true``,
where they fail.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

import pytest

from chains_lint.diagnostics import Severity
from tests.test_corpus_default import CORPUS, CorpusFile, describe, lint_corpus_file

TRUSS_VERSION = "0.18.36"
REPO_ROOT = Path(__file__).resolve().parent.parent
VENV_DIR = REPO_ROOT / ".cache" / f"truss-venv-{TRUSS_VERSION}"
ORACLE = Path(__file__).parent / "truss_oracle.py"
INSTALL_TIMEOUT_SEC = 1200
ORACLE_TIMEOUT_SEC = 600
# Signs in pip's output that the index could not be reached at all.
NETWORK_FAILURES = (
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "NewConnectionError",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "ProxyError",
)


@dataclass(frozen=True)
class TrussVerdict:
    accepted: bool
    stage: str | None
    error: str | None


def _venv_python(venv: Path) -> Path:
    return venv / "bin" / "python"  # the oracle forks, so POSIX only


def _installed_marker(venv: Path) -> Path:
    return venv / "truss-installed"


def _install_problem(message: str, output: str, *, network: bool = False) -> NoReturn:
    """Skip when the network is down, fail otherwise or under CI; show pip's output."""
    tail = "\n".join(output.strip().splitlines()[-15:])
    text = f"{message}\n{tail}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true and {text}")
    if network or any(sign in output for sign in NETWORK_FAILURES):
        pytest.skip(f"cannot install truss=={TRUSS_VERSION} (network down?): {text}")
    pytest.fail(text)


def _run(command: list[str], timeout: int) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)


def _install_truss(venv: Path) -> Path:
    python = _venv_python(venv)
    if _installed_marker(venv).is_file() and python.is_file():
        return python
    shutil.rmtree(venv, ignore_errors=True)  # a previous install that did not finish
    venv.parent.mkdir(parents=True, exist_ok=True)
    created = _run([sys.executable, "-m", "venv", str(venv)], timeout=300)
    if created.returncode != 0:
        _install_problem("`python -m venv` failed", created.stdout + created.stderr)
    try:
        installed = _run(
            [str(python), "-m", "pip", "install", "--quiet", f"truss=={TRUSS_VERSION}"],
            timeout=INSTALL_TIMEOUT_SEC,
        )
    except subprocess.TimeoutExpired as exc:
        _install_problem(f"pip install timed out after {exc.timeout}s", "", network=True)
    if installed.returncode != 0:
        _install_problem(
            f"pip install truss=={TRUSS_VERSION} failed", installed.stdout + installed.stderr
        )
    _installed_marker(venv).write_text(TRUSS_VERSION, encoding="utf-8")
    return python


@pytest.fixture(scope="module")
def truss_verdicts() -> dict[Path, TrussVerdict]:
    python = _install_truss(VENV_DIR)
    paths = [str(entry.path) for entry in CORPUS]
    result = _run([str(python), str(ORACLE), *paths], timeout=ORACLE_TIMEOUT_SEC)
    assert result.returncode == 0, f"the truss oracle failed:\n{result.stderr[-4000:]}"
    verdicts: dict[Path, TrussVerdict] = {}
    for line in result.stdout.splitlines():
        record = json.loads(line)
        verdicts[Path(record["path"])] = TrussVerdict(
            accepted=record["verdict"] == "accept", stage=record["stage"], error=record["error"]
        )
    assert set(verdicts) == {entry.path for entry in CORPUS}
    return verdicts


def corpus_params() -> list[object]:
    return [pytest.param(entry, id=entry.name) for entry in CORPUS]


def _truss_says(verdict: TrussVerdict) -> str:
    if verdict.accepted:
        return "truss accepts it"
    return f"truss rejects it at {verdict.stage}: {verdict.error}"


@pytest.mark.parametrize("entry", corpus_params())
def test_truss_verdict_matches_the_header(
    entry: CorpusFile, truss_verdicts: dict[Path, TrussVerdict]
) -> None:
    verdict = truss_verdicts[entry.path]
    expected = "accept" if entry.truss_accepts else "reject"
    assert verdict.accepted == entry.truss_accepts, (
        f"{entry.name}: the header says `truss: {expected}` but {_truss_says(verdict)}"
    )


@pytest.mark.parametrize("entry", corpus_params())
def test_truss_profile_agrees_with_truss(
    entry: CorpusFile, truss_verdicts: dict[Path, TrussVerdict]
) -> None:
    verdict = truss_verdicts[entry.path]
    diagnostics = lint_corpus_file(entry, "truss")
    errors = [d for d in diagnostics if d.severity is Severity.ERROR]
    ours = f"our truss profile reports:\n{describe(diagnostics)}"
    if entry.truss_misses is not None:
        assert verdict.accepted and errors, (
            f"{entry.name} is listed as a bug truss misses ({entry.truss_misses}), "
            f"so truss must accept it and we must report an error; {_truss_says(verdict)}, "
            f"{ours}"
        )
    else:
        assert verdict.accepted == (not errors), f"{entry.name}: {_truss_says(verdict)}; {ours}"


def _unreachable_package_index(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point pip at a port where nothing listens, as when the network is down."""
    for name in list(os.environ):
        if name.startswith("PIP_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/simple/")
    monkeypatch.setenv("PIP_RETRIES", "1")
    monkeypatch.setenv("PIP_DEFAULT_TIMEOUT", "5")


def test_install_without_network_skips_outside_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _unreachable_package_index(monkeypatch)
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="network down"):
        _install_truss(tmp_path / "venv")
    assert not _installed_marker(tmp_path / "venv").exists()


def test_install_without_network_fails_under_ci(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _unreachable_package_index(monkeypatch)
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        _install_truss(tmp_path / "venv")
