"""Helpers for tests: write chain files to a folder and lint them for real."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from chains_lint.config import Config
from chains_lint.diagnostics import Diagnostic
from chains_lint.linter import lint_files
from chains_lint.rules.base import Profile

MAIN_FILE = "chain.py"


def write_files(folder: Path, files: str | Mapping[str, str]) -> Path:
    """Write ``files`` (one text for chain.py, or name -> text) and return chain.py."""
    mapping = {MAIN_FILE: files} if isinstance(files, str) else dict(files)
    for name, text in mapping.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text.lstrip("\n"), encoding="utf-8")
    return folder / MAIN_FILE


def lint_text(
    folder: Path,
    files: str | Mapping[str, str],
    *,
    profile: Profile = "default",
    select: tuple[str, ...] = (),
) -> list[Diagnostic]:
    main = write_files(folder, files)
    config = Config(profile=profile, select=select)
    result = lint_files([main], config)
    # The linter reports a crashing rule instead of raising: a test must see it.
    assert not result.internal_errors, result.internal_errors
    return result.diagnostics


def codes(diagnostics: list[Diagnostic]) -> list[str]:
    return [d.code for d in diagnostics]
