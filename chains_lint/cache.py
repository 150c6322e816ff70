"""The lint cache: files whose inputs have not changed are not parsed again.

A chain is judged as a whole, so the unit cached is a *group*: the files linted
together from one import root (as :func:`chains_lint.analysis.analyse` groups
them). An entry holds each file's findings and everything they were computed
from: the text of every module the group loaded (its files and the local
modules they import), what each import name resolved to on disk, every path a
rule looked at on disk (:mod:`chains_lint.model.file_probes`), the Python files
under the source roots, and which of its files other groups import. The
entry's name is a hash of the tool build, the options that change findings, the
working directory (findings show paths relative to it), the import root and its
files; a run reuses an entry only when every recorded input still holds, so a
warm run reads and hashes files but imports neither libcst nor the rules.

Writes are atomic (a temporary file renamed into place), and an entry that
cannot be read, parsed or checked is a miss, so a corrupted, half-written or
concurrently replaced entry never changes a result, and a read-only cache
folder only costs speed.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chains_lint import __version__
from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic, Severity, Span, merge_findings
from chains_lint.files import iter_python_files
from chains_lint.model.file_probes import current_state, recording
from chains_lint.model.locations import decode_source, display_path, find_module, locate

if TYPE_CHECKING:
    from chains_lint.analysis import Analysis
    from chains_lint.linter import LintResult
    from chains_lint.output import ReportedFile

CACHE_DIR_NAME = ".chains_lint_cache"
ENV_CACHE_DIR = "CHAINS_LINT_CACHE_DIR"
ENV_NO_CACHE = "CHAINS_LINT_NO_CACHE"
SCHEMA = 2
MAX_ENTRIES = 1000  # per build; past it the oldest are removed down to KEEP_ENTRIES
KEEP_ENTRIES = 800
_CACHEDIR_TAG = (
    "Signature: 8a477f597d28d172789f06886806bc55\n"
    "# This file is a cache directory tag created by chains-lint.\n"
    "# For information about cache directory tags, see https://bford.info/cachedir/\n"
)
_GITIGNORE = "# Automatically created by chains-lint.\n*\n"
_BUILD_FOLDER = re.compile(r"^[0-9a-f]{16}$")
_LINE_BREAKS = re.compile(r"\r\n|\r|\n")


def cache_folder(
    config: Config, *, no_cache: bool, cache_dir: Path | None, cwd: Path
) -> Path | None:
    """Where the cache lives, or None when it is off.

    ``--no-cache`` or ``CHAINS_LINT_NO_CACHE`` (any value but ``0``/``false``/empty)
    turn it off; otherwise ``--cache-dir``, then ``CHAINS_LINT_CACHE_DIR``, then
    ``cache-dir`` in ``[tool.chains-lint]``, then ``.chains_lint_cache`` next to
    the config file (or in the working directory without one).
    """
    if no_cache or _env_flag(os.environ.get(ENV_NO_CACHE, "")):
        return None
    if cache_dir is not None:
        return cwd / cache_dir
    from_env = os.environ.get(ENV_CACHE_DIR, "").strip()
    if from_env:
        return cwd / from_env
    if config.cache_dir is not None:
        return config.cache_dir
    base = config.project_root if config.project_root is not None else cwd
    return base / CACHE_DIR_NAME


def _env_flag(value: str) -> bool:
    return value.strip().lower() not in ("", "0", "false", "no", "off")


def tool_fingerprint() -> str:
    """The linter's build: its version, Python's, libcst's, and for a source checkout its files.

    An installed release is known by its version (as ruff's cache is), so a CI cache
    survives a reinstall. A checkout (an editable install) changes without a new
    version: there every source file's size and modification time count, so edited
    rules never reuse findings of the code before.
    """
    digest = hashlib.sha256()
    digest.update(f"{__version__}\0{sys.version}\0{sys.implementation.cache_tag}\0".encode())
    package = Path(__file__).resolve().parent
    if not {"site-packages", "dist-packages"} & set(package.parts):
        _stat_tree(digest, package, package)
    for entry in sys.path:
        libcst = Path(entry or ".") / "libcst"
        if (libcst / "__init__.py").is_file():
            digest.update(str(libcst.resolve()).encode() + b"\0")
            with contextlib.suppress(OSError):
                digest.update((libcst / "_version.py").read_bytes())
            break
    return digest.hexdigest()


def _stat_tree(digest: Any, folder: Path, top: Path) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            if entry.name != "__pycache__":
                _stat_tree(digest, Path(entry.path), top)
        elif entry.name.endswith(".py"):
            stat = entry.stat()
            relative = os.path.relpath(entry.path, top)
            digest.update(f"{relative}\0{stat.st_size}\0{stat.st_mtime_ns}\0".encode())


def config_fingerprint(config: Config) -> list[object]:
    """The options that change findings (``exclude`` only changes which files are linted)."""
    return [
        config.profile,
        list(config.select),
        list(config.extend_select),
        list(config.ignore),
        [str(root.resolve()) for root in config.source_roots],
        config.entrypoint,
    ]


# -- groups of files linted together ---------------------------------------------------


@dataclass
class Group:
    """The files of one import root, in the order given (as ``analyse`` groups them)."""

    root: Path
    members: list[tuple[Path, str, bool]] = field(default_factory=list)

    @property
    def paths(self) -> list[Path]:
        return [path for path, _, _ in self.members]


def group_files(files: Sequence[Path]) -> tuple[list[Group], dict[Path, Path]]:
    """The groups, and every file once (resolved, in the order given) with its import root."""
    groups: dict[Path, Group] = {}
    ordered: dict[Path, Path] = {}
    packages: dict[Path, tuple[Path, list[str]]] = {}  # folder -> (import root, package names)
    for file in files:
        resolved = file.resolve()
        folder = resolved.parent
        if folder not in packages:
            location = locate(resolved)
            names = location.name.split(".") if location.name else []
            packages[folder] = (location.root, names if location.is_package else names[:-1])
        root, package = packages[folder]
        is_package = resolved.name == "__init__.py"
        name = ".".join(package if is_package else [*package, resolved.stem])
        group = groups.setdefault(root, Group(root))
        group.members.append((resolved, name, is_package))
        ordered.setdefault(resolved, root)
    return list(groups.values()), ordered


@dataclass
class CachedFile:
    """A linted file answered from the cache, as the output formats need it."""

    display_path: str
    source: str

    def line_text(self, line: int) -> str:
        lines = _LINE_BREAKS.split(self.source)
        return lines[line - 1] if 0 < line <= len(lines) else ""


@dataclass
class CachedLintResult:
    """What the command line reports: the same fields as a fresh ``LintResult``."""

    diagnostics: list[Diagnostic]
    modules: list[ReportedFile]
    internal_errors: list[object]
    hits: int = 0  # groups answered from the cache
    misses: int = 0  # groups linted

    @property
    def has_errors(self) -> bool:
        return any(d.severity is Severity.ERROR for d in self.diagnostics)


@dataclass
class _Entry:
    group: Group
    own_imports: set[Path]
    imported_targets: set[Path]
    findings: dict[Path, list[Diagnostic]]


class LintCache:
    """One cache folder, for one tool build, configuration and working directory."""

    def __init__(self, folder: Path, config: Config, cwd: Path) -> None:
        self.folder = folder
        self.config = config
        self.cwd = cwd.resolve()
        self.build = tool_fingerprint()
        self.entries = folder / self.build[:16]
        self.search_extra = [root.resolve() for root in config.source_roots]
        self._texts: dict[Path, str | None] = {}
        self._hashes: dict[Path, str | None] = {}
        self._source_files: list[list[str]] | None = None
        self._write_failed: str | None = None
        self._prepared = False

    # -- reading ---------------------------------------------------------------------

    def text(self, path: Path) -> str | None:
        """The decoded source of ``path`` as the linter would read it, or None if unreadable."""
        if path not in self._texts:
            try:
                self._texts[path] = decode_source(path.read_bytes())
            except OSError:
                self._texts[path] = None
        return self._texts[path]

    def _hash(self, path: Path) -> str | None:
        if path not in self._hashes:
            text = self.text(path)
            self._hashes[path] = None if text is None else _text_hash(text)
        return self._hashes[path]

    def _search_roots(self, group: Group) -> list[Path]:
        return [group.root, *(r for r in self.search_extra if r != group.root)]

    def _identity(self, group: Group) -> str:
        key = [
            SCHEMA,
            self.build,
            config_fingerprint(self.config),
            str(self.cwd),
            str(group.root),
            [str(r) for r in self._search_roots(group)],
            [[str(p), name, package] for p, name, package in group.members],
        ]
        return hashlib.sha256(json.dumps(key).encode()).hexdigest()

    def _entry_path(self, group: Group) -> Path:
        return self.entries / f"{self._identity(group)[:32]}.json"

    def source_files(self) -> list[list[str]]:
        """Every Python file under the source roots with its hash (they decide what is imported)."""
        if self._source_files is None:
            self._source_files = []
            for root in self.search_extra:
                for path in iter_python_files(root):
                    resolved = path.resolve()
                    self._source_files.append([str(resolved), self._hash(resolved) or ""])
        return self._source_files

    def load(self, group: Group) -> _Entry | None:
        """The group's entry when every input it recorded still holds, else None."""
        try:
            raw = json.loads(self._entry_path(group).read_text(encoding="utf-8"))
            return self._validated(group, raw)
        except (OSError, ValueError, TypeError, KeyError, IndexError, AttributeError):
            return None

    def _validated(self, group: Group, raw: Any) -> _Entry | None:
        if raw["schema"] != SCHEMA or raw["identity"] != self._identity(group):
            return None
        for path, digest in raw["modules"]:
            if self._hash(Path(path)) != digest:
                return None
        roots = self._search_roots(group)
        for name, path, is_package in raw["resolutions"]:
            found = find_module(roots, name)
            recorded = None if path is None else (path, is_package)
            if (None if found is None else (str(found[0].resolve()), found[1])) != recorded:
                return None
        if raw["source_files"] != self.source_files():
            return None
        for path, state in raw["paths"]:
            if current_state(path) != state:
                return None
        findings = {Path(path): [_diagnostic(d) for d in found] for path, found in raw["findings"]}
        if set(findings) != set(group.paths):
            return None
        return _Entry(
            group,
            {Path(p) for p in raw["own_imports"]},
            {Path(p) for p in raw["imported_targets"]},
            findings,
        )

    # -- writing ---------------------------------------------------------------------

    def store(
        self, group: Group, analysis: Analysis, result: LintResult, paths: dict[str, str]
    ) -> None:
        """Record a freshly linted group (not when a rule crashed on one of its files).

        ``paths`` are the file-system answers rules got while it was linted.
        """
        if any(path in result.crashed_targets for path in group.paths):
            return
        loader = analysis.loaders.get(group.root)
        if loader is None:
            return
        entry = {
            "schema": SCHEMA,
            "identity": self._identity(group),
            "modules": sorted(
                [str(module.path), _text_hash(module.source)] for module in loader.modules.values()
            ),
            "resolutions": [
                [name, None, False] if found is None else [name, str(found[0].resolve()), found[1]]
                for name, found in sorted(loader.resolutions.items())
            ],
            "source_files": self.source_files(),
            "paths": sorted([path, state] for path, state in paths.items()),
            "own_imports": sorted(str(p) for p in loader.imported_paths),
            "imported_targets": sorted(str(p) for p in group.paths if p in analysis.imported_paths),
            "findings": [
                [str(path), [_serialised(d) for d in result.by_target.get(path, [])]]
                for path in dict.fromkeys(group.paths)
            ],
        }
        self._write(self._entry_path(group), json.dumps(entry, separators=(",", ":")))

    def _write(self, path: Path, text: str) -> None:
        if self._write_failed is not None:
            return
        try:
            if not self._prepared:
                self._prepare_folder()
                self._prepared = True
            _atomic_write(path, text)
        except OSError as exc:
            self._write_failed = f"{self.folder}: {exc.strerror or exc}"
            sys.stderr.write(
                f"chains-lint: warning: cannot write the cache ({self._write_failed}); "
                "results are not cached (use --no-cache or --cache-dir DIR)\n"
            )

    def _prepare_folder(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        for name, text in (("CACHEDIR.TAG", _CACHEDIR_TAG), (".gitignore", _GITIGNORE)):
            if not (self.folder / name).is_file():
                _atomic_write(self.folder / name, text)
        if self.entries.is_dir():
            _prune(self.entries)
            return
        # Entries of other builds can never be used again.
        for other in self.folder.iterdir():
            if other.is_dir() and _BUILD_FOLDER.match(other.name) and other != self.entries:
                _remove_tree(other)
        self.entries.mkdir(exist_ok=True)


def _prune(entries: Path) -> None:
    """Keep the folder bounded: every new set of files linted together adds an entry
    (a pre-commit run lints the staged files), so the oldest go past MAX_ENTRIES."""
    try:
        found = [(entry.stat().st_mtime_ns, entry) for entry in entries.glob("*.json")]
    except OSError:
        return
    if len(found) <= MAX_ENTRIES:
        return
    found.sort()
    for _, entry in found[: len(found) - KEEP_ENTRIES]:
        with contextlib.suppress(OSError):
            entry.unlink()


def _remove_tree(folder: Path) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)


def _atomic_write(path: Path, text: str) -> None:
    import tempfile  # only a run that writes needs it

    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _span_list(span: Span) -> list[object]:
    return [span.path, *span.coordinates]


def _serialised(d: Diagnostic) -> list[object]:
    return [
        d.code,
        d.name,
        d.severity.value,
        d.message,
        _span_list(d.span),
        [_span_list(s) for s in d.related],
    ]


def _span(raw: Any) -> Span:
    path, line, column, end_line, end_column = raw
    if not isinstance(path, str) or not all(
        type(n) is int for n in (line, column, end_line, end_column)
    ):
        raise TypeError("bad span")
    return Span(path, line, column, end_line, end_column)


def _diagnostic(raw: Any) -> Diagnostic:
    code, name, severity, message, span, related = raw
    if not all(isinstance(s, str) for s in (code, name, message)):
        raise TypeError("bad diagnostic")
    return Diagnostic(
        code, name, Severity(severity), message, _span(span), tuple(_span(s) for s in related)
    )


# -- a run -------------------------------------------------------------------------------


def lint_with_cache(files: Sequence[Path], config: Config, cache: LintCache) -> CachedLintResult:
    """Lint ``files``, answering unchanged groups from ``cache`` and caching the others."""
    groups, ordered = group_files(files)
    entries: dict[Path, _Entry] = {}
    for group in groups:
        entry = cache.load(group)
        if entry is not None:
            entries[group.root] = entry
    fresh: dict[Path, list[Diagnostic]] = {}
    fresh_modules: dict[Path, ReportedFile] = {}
    internal_errors: list[object] = []
    imported: set[Path] = set()
    for entry in entries.values():
        imported |= entry.own_imports
    missed = [g for g in groups if g.root not in entries]
    misses = 0
    # Whether another group imports a file changes its findings (a library needs no
    # entrypoint); an entry whose answer to that changed is linted again. Linting a
    # group does not change what it imports, so two rounds always settle it.
    for _ in range(2):
        if missed:
            misses += len(missed)
            result = _lint_groups(missed, config, cache, imported)
            imported |= result.analysis.imported_paths
            fresh.update(result.by_target)
            fresh_modules.update((module.path, module) for module in result.modules)
            internal_errors += result.internal_errors
        stale = [
            g
            for g in groups
            if g.root in entries
            and {p for p in g.paths if p in imported} != entries[g.root].imported_targets
        ]
        for group in stale:
            del entries[group.root]
        missed = stale
        if not missed:
            break
    findings: list[list[Diagnostic]] = []
    modules: list[ReportedFile] = []
    for path, root in ordered.items():
        entry = entries.get(root)
        if entry is None:
            findings.append(fresh.get(path, []))
            if path in fresh_modules:
                modules.append(fresh_modules[path])
            continue
        findings.append(entry.findings.get(path, []))
        modules.append(CachedFile(display_path(path), cache.text(path) or ""))
    return CachedLintResult(
        merge_findings(findings), modules, internal_errors, hits=len(entries), misses=misses
    )


def _lint_groups(
    groups: Sequence[Group], config: Config, cache: LintCache, imported_elsewhere: set[Path]
) -> LintResult:
    from chains_lint.linter import lint_files

    files = [path for group in groups for path in group.paths]
    checked = config.check_rule_codes()
    # Which rule asked about which path is not known, so every group linted here
    # depends on every answer (a few extra misses, never a stale finding).
    with recording() as paths:
        result = lint_files(files, checked, imported_elsewhere=imported_elsewhere)
    for group in groups:
        cache.store(group, result.analysis, result, dict(paths))
    return result
