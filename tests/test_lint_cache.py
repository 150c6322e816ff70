"""The lint cache, through real ``chains-lint`` processes on real files.

Every scenario compares a cached run with a ``--no-cache`` run of the same files:
findings from the cache must be byte-identical to a fresh run. Whether a run was
answered from the cache is seen on disk: a hit reads its entry and writes
nothing, a miss replaces the entry (a new file, so a new inode).
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.test_cli import CliRun, write

CORPUS = Path(__file__).resolve().parent / "corpus" / "truss"
CACHE = ".chains_lint_cache"

HELPER = """
import truss_chains as chains


class Shout(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text.upper()
"""

CHAIN = """
import truss_chains as chains

from helper import Shout


@chains.mark_entrypoint
class Greet(chains.ChainletBase):
    def __init__(self, shout: Shout = chains.depends(Shout)) -> None:
        self._shout = shout

    async def run_remote(self, name: str) -> str:
        return await self._shout.run_remote(text=name)
"""


_LINTER_COPY: list[Path] = []


@pytest.fixture(scope="session", autouse=True)
def linter_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of chains_lint that the runs import: the cache keys a checkout on its files,
    so someone editing the working tree meanwhile must not turn a hit into a miss."""
    folder = tmp_path_factory.mktemp("linter")
    shutil.copytree(
        Path(__file__).resolve().parents[1] / "chains_lint",
        folder / "chains_lint",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    _LINTER_COPY[:] = [folder]
    return folder


def lint(cwd: Path, *args: str, env: dict[str, str] | None = None) -> CliRun:
    """``python -m chains_lint ARGS`` as a real process, without the caller's cache settings."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "CHAINS_LINT"))}
    clean["PYTHONPATH"] = str(_LINTER_COPY[0])
    done = subprocess.run(
        [sys.executable, "-m", "chains_lint", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        env={**clean, **(env or {})},
        check=False,
    )
    return CliRun(done.returncode, done.stdout, done.stderr)


def entries(folder: Path) -> dict[Path, tuple[int, bytes]]:
    """Every cache entry below ``folder``, with its inode (a rewrite makes a new file while the
    old one still exists) and its content (two rewrites may give the first inode back)."""
    return {
        path: (path.stat().st_ino, path.read_bytes()) for path in sorted(folder.glob("*/*.json"))
    }


def assert_same_as_fresh(cwd: Path, *args: str) -> CliRun:
    """A cached run reports exactly what a run without the cache reports."""
    cached = lint(cwd, *args)
    fresh = lint(cwd, "--no-cache", *args)
    assert (cached.code, cached.out, cached.err) == (fresh.code, fresh.out, fresh.err)
    return cached


@pytest.fixture
def project(tmp_path: Path) -> Path:
    write(tmp_path, "helper.py", HELPER)
    write(tmp_path, "chain.py", CHAIN)
    return tmp_path


def test_an_unchanged_file_is_answered_from_the_cache(project: Path) -> None:
    first = assert_same_as_fresh(project, "chain.py")
    assert first.code == 0 and "All checks passed (1 file)." in first.out
    cache = project / CACHE
    written = entries(cache)
    assert len(written) == 1

    second = lint(project, "chain.py")
    assert (second.code, second.out, second.err) == (first.code, first.out, first.err)
    assert entries(cache) == written  # read, not written again

    # The answer really comes from the entry: a finding planted in it is reported.
    (entry,) = written
    data = json.loads(entry.read_text(encoding="utf-8"))
    planted = ["CH101", "planted", "error", "planted finding", ["chain.py", 12, 9, 12, 15], []]
    data["findings"][0][1].append(planted)
    entry.write_text(json.dumps(data), encoding="utf-8")
    from_entry = lint(project, "chain.py")
    assert from_entry.code == 1
    assert "chain.py:12:9: CH101 planted finding" in from_entry.out
    # --no-cache neither reads nor writes it.
    assert lint(project, "--no-cache", "chain.py").out == first.out
    assert entry.read_text(encoding="utf-8") == json.dumps(data)


def test_cache_folder_is_tagged_and_ignored_by_git(project: Path) -> None:
    subprocess.run(["git", "init", "-q"], cwd=project, check=True, timeout=60)
    lint(project, "chain.py")
    cache = project / CACHE
    assert (
        (cache / "CACHEDIR.TAG")
        .read_text()
        .startswith("Signature: 8a477f597d28d172789f06886806bc55")
    )
    assert "*" in (cache / ".gitignore").read_text().splitlines()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],
        cwd=project,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert sorted(status.stdout.split()) == ["??", "??", "chain.py", "helper.py"]


def test_a_changed_file_is_linted_again(project: Path) -> None:
    assert_same_as_fresh(project, "chain.py")
    before = entries(project / CACHE)
    write(project, "chain.py", CHAIN.replace("(text=name)", "(name)"))
    changed = assert_same_as_fresh(project, "chain.py")
    assert changed.code == 0
    write(project, "chain.py", CHAIN.replace("(text=name)", "(txt=name)"))
    broken = assert_same_as_fresh(project, "chain.py")
    assert broken.code == 1 and "CH507" in broken.out
    after = entries(project / CACHE)
    assert after.keys() == before.keys() and after != before  # the same entry, replaced


def test_a_change_in_an_imported_module_is_seen(project: Path) -> None:
    assert assert_same_as_fresh(project, "chain.py").code == 0
    write(project, "helper.py", HELPER.replace("text: str", "words: str"))
    run = assert_same_as_fresh(project, "chain.py")
    assert run.code == 1
    assert "CH506" in run.out and "CH507" in run.out


def test_a_new_file_that_an_import_now_resolves_to_is_seen(tmp_path: Path) -> None:
    # `from helper import Shout` names no local file yet: an installed package, as
    # far as the linter knows. Creating helper.py changes what the import means.
    write(tmp_path, "chain.py", CHAIN.replace("(text=name)", "(txt=name)"))
    assert_same_as_fresh(tmp_path, "chain.py")
    write(tmp_path, "helper.py", HELPER)
    run = assert_same_as_fresh(tmp_path, "chain.py")
    assert run.code == 1 and "CH507" in run.out


def test_a_config_change_is_seen(project: Path) -> None:
    write(project, "chain.py", CHAIN.replace("(text=name)", "(txt=name)"))
    write(project, "pyproject.toml", "[tool.chains-lint]\nprofile = 'default'\n")
    reported = assert_same_as_fresh(project, "chain.py")
    assert reported.code == 1 and "CH507" in reported.out
    write(project, "pyproject.toml", "[tool.chains-lint]\nignore = ['CH507']\n")
    ignored = assert_same_as_fresh(project, "chain.py")
    assert ignored.code == 0 and "CH507" not in ignored.out
    # Command-line options are part of the key too.
    write(project, "pyproject.toml", "[tool.chains-lint]\nprofile = 'default'\n")
    selected = assert_same_as_fresh(project, "--ignore", "CH507", "chain.py")
    assert selected.code == 0 and "CH507" not in selected.out
    # A code that matches no rule is still an error, cache or not.
    write(project, "pyproject.toml", "[tool.chains-lint]\nignore = ['CH999']\n")
    bad = lint(project, "chain.py")
    assert bad.code == 2 and "matches no rule" in bad.err


def test_another_group_that_stops_importing_a_library_is_seen(tmp_path: Path) -> None:
    # lib/ is an import root of its own; chain.py (one folder up) imports lib.shared,
    # which makes shared.py a library that needs no entrypoint.
    whisper = "\n\nclass Whisper(chains.ChainletBase):\n"
    whisper += "    async def run_remote(self, text: str) -> str:\n        return text.lower()\n"
    write(tmp_path, "lib/shared.py", HELPER + whisper)
    write(tmp_path, "chain.py", CHAIN.replace("from helper", "from lib.shared"))
    files = ("chain.py", "lib/shared.py")
    assert assert_same_as_fresh(tmp_path, *files).code == 0
    write(tmp_path, "chain.py", CHAIN.replace("from helper import Shout", "Shout = object"))
    run = assert_same_as_fresh(tmp_path, *files)
    assert run.code == 1 and "lib/shared.py" in run.out and "CH305" in run.out


def test_a_corrupted_entry_is_a_miss_and_is_repaired(project: Path) -> None:
    write(project, "chain.py", CHAIN.replace("(text=name)", "(txt=name)"))
    expected = lint(project, "--no-cache", "chain.py")
    lint(project, "chain.py")
    (entry,) = entries(project / CACHE)
    good = entry.read_text(encoding="utf-8")
    for damaged in (good[: len(good) // 2], "\0\0garbage", "[]", '{"schema": 1}', ""):
        entry.write_text(damaged, encoding="utf-8")
        run = lint(project, "chain.py")
        assert (run.code, run.out, run.err) == (expected.code, expected.out, expected.err)
        assert json.loads(entry.read_text(encoding="utf-8")) == json.loads(good)
    entry.write_bytes(b"\xff\xfe not utf-8")
    assert lint(project, "chain.py").out == expected.out


def test_an_unwritable_cache_folder_costs_only_speed(project: Path) -> None:
    write(project, "chain.py", CHAIN.replace("(text=name)", "(txt=name)"))
    expected = lint(project, "--no-cache", "chain.py")
    # A file where the cache folder should be: nothing can be written below it.
    blocker = project / "not-a-folder"
    blocker.write_text("", encoding="utf-8")
    for _ in range(2):
        run = lint(project, "--cache-dir", "not-a-folder/cache", "chain.py")
        assert (run.code, run.out) == (expected.code, expected.out)
        assert run.err.startswith("chains-lint: warning: cannot write the cache")
        assert len(run.err.splitlines()) == 1
    assert blocker.read_text(encoding="utf-8") == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_a_read_only_cache_folder_costs_only_speed(project: Path) -> None:
    expected = lint(project, "--no-cache", "chain.py")
    read_only = project / "ro"
    read_only.mkdir(mode=0o555)
    try:
        run = lint(project, "--cache-dir", "ro/cache", "chain.py")
        assert (run.code, run.out) == (expected.code, expected.out)
        assert "cannot write the cache" in run.err
    finally:
        read_only.chmod(0o755)


def test_a_read_only_cache_with_entries_is_still_read(project: Path) -> None:
    first = lint(project, "chain.py")
    cache = project / CACHE
    (entry,) = entries(cache)
    # Made unreadable in a way root cannot ignore: the entry becomes a folder.
    entry.unlink()
    entry.mkdir()
    run = lint(project, "chain.py")
    assert (run.code, run.out) == (first.code, first.out)
    assert "cannot write the cache" in run.err


def test_cache_settings_move_or_disable_it(project: Path) -> None:
    lint(project, "chain.py", env={"CHAINS_LINT_NO_CACHE": "1"})
    lint(project, "--no-cache", "chain.py")
    assert not (project / CACHE).exists()
    lint(project, "chain.py", env={"CHAINS_LINT_CACHE_DIR": "from-env"})
    assert entries(project / "from-env")
    write(project, "pyproject.toml", "[tool.chains-lint]\ncache-dir = 'build/lint-cache'\n")
    lint(project, "chain.py")
    assert entries(project / "build" / "lint-cache")
    lint(project, "--cache-dir", "from-flag", "chain.py")
    assert entries(project / "from-flag")
    assert not (project / CACHE).exists()
    write(project, "pyproject.toml", "[tool.chains-lint]\ncache-dir = 3\n")
    bad = lint(project, "chain.py")
    assert bad.code == 2 and "cache-dir must be a folder path" in bad.err


def test_concurrent_runs_agree_with_a_fresh_run(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    expected = lint(folder, "--no-cache", ".")
    assert expected.code == 1 and expected.out.count("\n") > 50
    with ThreadPoolExecutor(max_workers=4) as pool:
        runs = list(pool.map(lambda _: lint(folder, "."), range(4)))
    for run in runs:
        assert (run.code, run.out, run.err) == (expected.code, expected.out, expected.err)
    assert not list((folder / CACHE).glob("*/.tmp-*"))  # no half-written files left
    warm = lint(folder, ".")
    assert (warm.code, warm.out) == (expected.code, expected.out)


def test_every_format_and_profile_is_identical_from_the_cache(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    shutil.copytree(CORPUS, folder)
    expected = lint(folder, "--no-cache", ".")
    assert lint(folder, ".") == expected  # cold: fills the cache
    written = entries(folder / CACHE)
    for args in (
        ("--format", "json"),
        ("--format", "github"),
        ("--format", "sarif"),
        ("--statistics",),
        ("--output-file", "report.txt"),
    ):
        assert lint(folder, *args, ".") == lint(folder, "--no-cache", *args, ".")
    assert entries(folder / CACHE) == written  # the format is not part of the key
    truss = lint(folder, "--no-cache", "--profile", "truss", ".")
    assert truss != expected
    assert lint(folder, "--profile", "truss", ".") == truss
    assert lint(folder, "--profile", "truss", ".") == truss


def test_a_changed_linter_checkout_does_not_reuse_findings(project: Path, tmp_path: Path) -> None:
    # A copy of the linter, run from its folder (as an editable checkout is): editing
    # any of its files must invalidate what the cache holds.
    checkout = tmp_path / "checkout"
    shutil.copytree(
        Path(__file__).resolve().parents[1] / "chains_lint",
        checkout / "chains_lint",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    env = {"PYTHONPATH": str(checkout)}
    write(project, "chain.py", CHAIN.replace("(text=name)", "(txt=name)"))
    before = lint(project, "chain.py", env=env)
    assert before.code == 1 and "CH507" in before.out and "edited:" not in before.out
    with (checkout / "chains_lint" / "rules" / "base.py").open("a", encoding="utf-8") as base:
        base.write(
            "\n\n_diagnostic = Rule.diagnostic\n"
            "Rule.diagnostic = lambda self, span, message, related=(): "
            "_diagnostic(self, span, 'edited: ' + message, related)\n"
        )
    after = lint(project, "chain.py", env=env)
    assert after.code == 1 and "CH507 edited: " in after.out


def test_a_path_a_rule_checked_on_disk_is_checked_again(tmp_path: Path) -> None:
    write(
        tmp_path,
        "chain.py",
        """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(
            requirements_file=chains.make_abs_path_here("requirements.txt"),
        ),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
""",
    )
    missing = assert_same_as_fresh(tmp_path, "chain.py")
    assert missing.code == 1 and "which does not exist" in missing.out
    write(tmp_path, "requirements.txt", "numpy\n")
    assert assert_same_as_fresh(tmp_path, "chain.py").code == 0
    (tmp_path / "requirements.txt").unlink()
    (tmp_path / "requirements.txt").mkdir()
    empty = assert_same_as_fresh(tmp_path, "chain.py")
    assert empty.code == 1 and "which is an empty folder" in empty.out


# Calls that look at the file system. The cache sees only what goes through
# chains_lint.model.file_probes (rules) or what it records itself (the loader).
_FILE_SYSTEM_FUNCTIONS = {
    "os.path.exists",
    "os.path.isfile",
    "os.path.isdir",
    "os.path.getsize",
    "os.path.getmtime",
    "os.listdir",
    "os.scandir",
    "os.stat",
    "os.walk",
    "open",
}
_FILE_SYSTEM_METHODS = {
    "exists",
    "is_file",
    "is_dir",
    "read_text",
    "read_bytes",
    "iterdir",
    "glob",
    "rglob",
    "stat",
}
_MAY_READ_FILES = {"model/file_probes.py", "model/locations.py", "model/loader.py"}


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return ""


def test_rules_and_the_model_read_the_file_system_only_where_the_cache_sees_it() -> None:
    package = Path(__file__).resolve().parents[1] / "chains_lint"
    offenders = []
    for folder in ("rules", "model"):
        for path in sorted((package / folder).rglob("*.py")):
            relative = path.relative_to(package).as_posix()
            if relative in _MAY_READ_FILES:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = _dotted(node.func)
                method = node.func.attr if isinstance(node.func, ast.Attribute) else ""
                if name in _FILE_SYSTEM_FUNCTIONS or method in _FILE_SYSTEM_METHODS:
                    offenders.append(f"{relative}:{node.lineno}: {name or method}(...)")
    assert offenders == [], "use chains_lint.model.file_probes.path_state:\n" + "\n".join(offenders)


def test_the_cache_folder_stays_bounded(project: Path) -> None:
    lint(project, "chain.py")
    (entry,) = entries(project / CACHE)
    for number in range(1200):  # old entries of sets of files no longer linted together
        stale = entry.parent / f"{number:032x}.json"
        stale.write_text("{}", encoding="utf-8")
        os.utime(stale, ns=(number, number))
    write(project, "chain.py", CHAIN.replace("(text=name)", "(txt=name)"))
    run = assert_same_as_fresh(project, "chain.py")
    assert run.code == 1
    left = entries(project / CACHE)
    assert 1 <= len(left) <= 801
    assert entry in left  # the newest survive


def test_a_run_answered_from_the_cache_imports_no_parser_and_no_rules(project: Path) -> None:
    cold = lint(project, "chain.py", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert "| libcst" in cold.err and "chains_lint.rules" in cold.err  # the check can see them
    warm = lint(project, "chain.py", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert warm.code == cold.code and warm.out == cold.out
    imported = [line.rsplit("|", 1)[-1].strip() for line in warm.err.splitlines()]
    assert not [name for name in imported if name.startswith(("libcst", "chains_lint.rules"))]
    assert not [
        name
        for name in imported
        if name.startswith("chains_lint.model.")
        and name
        not in {
            "chains_lint.model.locations",
            "chains_lint.model.file_probes",
            "chains_lint.model.sdk",
        }
    ]
