"""The pre-commit hook, run by the real pre-commit against a throwaway git repository.

``pre-commit try-repo`` installs the hook from a git repository. To test the
working tree as it is (uncommitted and untracked files included), the project's
package files are copied into a temporary repository and committed there first.
The hook's environment is built by pre-commit itself (a virtualenv with this
package and libcst installed from the package index), so this test is slow.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.test_cli import BAD_CHAIN, BAD_COLUMN, BAD_LINE, GOOD_CHAIN, write

PROJECT = Path(__file__).resolve().parents[1]
PRE_COMMIT = Path(sys.executable).with_name("pre-commit")
PACKAGE_FILES = ("pyproject.toml", "README.md", "LICENSE", ".pre-commit-hooks.yaml")
PACKAGE_DIRS = ("chains_lint", "chains_build", "runtime")

pytestmark = pytest.mark.skipif(
    not PRE_COMMIT.is_file() or shutil.which("git") is None,
    reason="needs git and pre-commit (a dev dependency)",
)


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(
        [
            "git",
            "-c",
            "user.name=chains-lint tests",
            "-c",
            "user.email=tests@example.invalid",
            "-c",
            "commit.gpgsign=false",
            *args,
        ],
        cwd=cwd,
        check=True,
        capture_output=True,
    )


def _environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PRE_COMMIT", "GIT_"))}
    env["PRE_COMMIT_HOME"] = str(home)
    env["PRE_COMMIT_COLOR"] = "never"
    return env


def _pre_commit(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(PRE_COMMIT), *args],
        cwd=cwd,
        env=_environment(home),
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A git repository holding this project's working tree, committed."""
    repo = tmp_path_factory.mktemp("hook-repo")
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in PACKAGE_FILES:
        if (PROJECT / name).is_file():
            shutil.copy2(PROJECT / name, repo / name)
    for name in PACKAGE_DIRS:
        shutil.copytree(PROJECT / name, repo / name, ignore=ignore)
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "snapshot of the working tree")
    return repo


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def _user_repo(folder: Path, files: dict[str, str]) -> Path:
    _git(folder, "init", "-q")
    for name, text in files.items():
        write(folder, name, text)
    return folder


def test_manifest_is_valid(pre_commit_home: Path) -> None:
    done = _pre_commit(PROJECT, pre_commit_home, "validate-manifest", ".pre-commit-hooks.yaml")
    assert done.returncode == 0, done.stdout + done.stderr


def test_hook_fails_on_a_bad_chain_file(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    user = _user_repo(tmp_path, {"good_chain.py": GOOD_CHAIN, "bad_chain.py": BAD_CHAIN})
    _git(user, "add", "-A")
    done = _pre_commit(
        user, pre_commit_home, "try-repo", str(hook_repo), "chains-lint", "--all-files"
    )
    output = done.stdout + done.stderr
    assert done.returncode == 1, output
    assert "chains-lint" in output and "Failed" in output
    assert f"bad_chain.py:{BAD_LINE}:{BAD_COLUMN}: CH001" in output
    assert "good_chain.py:" not in output
    assert "Traceback" not in output


def test_hook_passes_when_only_the_good_file_is_staged(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    """Without --all-files pre-commit passes only staged files: the untracked bad one is
    not checked."""
    user = _user_repo(tmp_path, {"good_chain.py": GOOD_CHAIN, "bad_chain.py": BAD_CHAIN})
    _git(user, "add", "good_chain.py")
    done = _pre_commit(user, pre_commit_home, "try-repo", str(hook_repo), "chains-lint")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Passed" in output
    assert "CH001" not in output


def test_hook_honours_the_projects_exclude(
    tmp_path: Path, hook_repo: Path, pre_commit_home: Path
) -> None:
    """The hook passes file names explicitly; ``--force-exclude`` keeps excluded ones out."""
    user = _user_repo(
        tmp_path,
        {
            "pyproject.toml": '[tool.chains-lint]\nexclude = ["drafts"]\n',
            "chain.py": GOOD_CHAIN,
            "drafts/bad_chain.py": BAD_CHAIN,
        },
    )
    _git(user, "add", "-A")
    done = _pre_commit(
        user, pre_commit_home, "try-repo", str(hook_repo), "chains-lint", "--all-files"
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "Passed" in output
