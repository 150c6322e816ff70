"""Walking folders for Python files (no parsing: the cache and discovery use it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".venv",
        "venv",
        "__pycache__",
        "node_modules",
        ".tox",
        ".nox",
        "build",
        "dist",
        "site-packages",
        ".mypy_cache",
        ".ruff_cache",
        ".pytest_cache",
        ".chains_lint_cache",
    }
)


def iter_python_files(folder: Path) -> Iterator[Path]:
    """Python files below ``folder`` in a stable order, skipping virtualenvs and caches."""
    try:
        entries = sorted(folder.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.is_dir():
            if entry.name in SKIP_DIRS or entry.name.endswith(".egg-info"):
                continue
            yield from iter_python_files(entry)
        elif entry.suffix == ".py" and entry.is_file():
            yield entry
