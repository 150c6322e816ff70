"""Finding the chain files to lint: named files, and files below folders that import the SDK."""

from __future__ import annotations

import fnmatch
import io
import os
import re
import tokenize
from collections.abc import Iterator, Sequence
from pathlib import Path

from chains_lint.errors import UsageError as UsageError  # its old home; re-exported
from chains_lint.files import iter_python_files
from chains_lint.model.sdk import SDK_MODULES

_SDK_NAMES = b"|".join(name.encode("ascii") for name in sorted(SDK_MODULES))
# An import statement of the SDK, at any indentation (inside `if`/`try` too).
_IMPORTS_SDK = re.compile(
    rb"^[ \t]*(?:from[ \t]+(?:" + _SDK_NAMES + rb")\b"
    rb"|import[ \t]+[^\n#]*\b(?:" + _SDK_NAMES + rb")\b)",
    re.MULTILINE,
)


def discover(
    paths: Sequence[Path],
    exclude: Sequence[str] = (),
    *,
    project_root: Path | None = None,
    force_exclude: bool = False,
) -> list[Path]:
    """Files named directly, plus files below folders that import the chain SDK.

    Like ruff, ``exclude`` applies to files found in folders, and to files named
    directly only with ``force_exclude`` (what a pre-commit hook wants). Raises
    :class:`UsageError` for a missing path, a file that is not readable text, or
    folders without any chain file.
    """
    found: list[Path] = []
    named_a_file = False
    for path in paths:
        if path.is_dir():
            found.extend(_chain_files_below(path, exclude, project_root))
        elif path.is_file():
            named_a_file = True
            if not (force_exclude and _excluded(path, exclude, project_root)):
                check_source(path, read_bytes(path))
                found.append(path)
        else:
            raise UsageError(f"{path}: no such file or folder")
    if not found and not named_a_file:
        searched = ", ".join(str(p) for p in paths)
        modules = " or ".join(sorted(SDK_MODULES))
        raise UsageError(f"no chain files (Python files importing {modules}) in {searched}")
    return list(dict.fromkeys(found))


def _chain_files_below(
    folder: Path, exclude: Sequence[str], project_root: Path | None
) -> Iterator[Path]:
    for file in iter_python_files(folder):
        if _excluded(file, exclude, project_root):
            continue
        try:
            data = file.read_bytes()
        except OSError:
            continue  # not ours to report: it might not be a chain file at all
        # A binary file is no chain file, however its name ends.
        if b"\0" not in data and _IMPORTS_SDK.search(data):
            check_source(file, data)
            yield file


def read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read: {exc.strerror or exc}") from exc


def check_source(path: Path, data: bytes) -> None:
    """Raise :class:`UsageError` unless ``data`` is Python source text Python could decode."""
    if b"\0" in data:
        raise UsageError(f"{path}: not a text file (it contains NUL bytes)")
    try:
        encoding, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
    except SyntaxError as exc:
        raise UsageError(f"{path}: {exc.msg}") from exc
    try:
        data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UsageError(
            f"{path}: line {line}: byte 0x{data[exc.start]:02x} is not valid {encoding}; "
            "save the file as UTF-8 or declare its encoding"
        ) from exc


def _excluded(path: Path, patterns: Sequence[str], project_root: Path | None) -> bool:
    """True when a pattern matches the file, one of its folders, or their names.

    Patterns are matched against the path relative to the project root (the
    folder of the config file) when the file is below it, else as given.
    """
    if not patterns:
        return False
    candidates = _match_candidates(path, project_root)
    return any(fnmatch.fnmatchcase(c, p) for p in patterns for c in candidates)


def _match_candidates(path: Path, project_root: Path | None) -> list[str]:
    relative = path
    if project_root is not None:
        try:
            relative = Path(os.path.relpath(path.resolve(), project_root.resolve()))
        except ValueError:
            relative = path
        if relative.parts[:1] == ("..",):
            relative = path
    parts = [p for p in relative.parts if p not in (".", "")]
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    return [*prefixes, *parts]
