"""The user files a chainlet's image needs, found from the chain model without importing it.

The image's ``/app`` folder mirrors the chain's *project folder*: the folder the chain file's
imports start from (its own folder, or the top of the package it is in). A chainlet gets the
module that defines it, the local modules it imports (transitively, as the linter's model
resolved them), the packages those live in, its ``data_dir`` and its ``external_package_dirs``;
nothing else of the project. The folders must lie inside the project folder, so that paths
written relative to a source file (``make_abs_path_here("data")``) still hold in the image.

A known limit: the model sees the imports a module makes at its top level (also inside
``if``/``try``/``with`` there), not imports inside functions.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from chains_build.errors import BuildError
from chains_lint.model.loader import display_path, locate
from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import ChainModel

# Never copied out of data or package folders: caches and version control.
SKIPPED_NAMES = frozenset(
    {
        "__pycache__",
        ".git",
        ".hg",
        ".svn",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".DS_Store",
    }
)
SKIPPED_SUFFIXES = (".pyc", ".pyo")


@dataclass(frozen=True)
class SourceFile:
    destination: str
    """POSIX path relative to ``/app`` (and to the build context)."""
    path: Path


@dataclass(frozen=True)
class SourceDir:
    destination: str
    path: Path


def prefixes(dotted: str) -> list[str]:
    """``a.b.c`` -> ``["a", "a.b", "a.b.c"]``."""
    parts = dotted.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts))]


def module_destination(module: ModuleInfo) -> str:
    """Where a module goes under ``/app``: the path its dotted name is imported from."""
    parts = module.name.split(".")
    if module.is_package:
        return "/".join([*parts, "__init__.py"])
    return "/".join(parts) + ".py"


def needed_modules(model: ChainModel, start: ModuleInfo) -> list[ModuleInfo]:
    """``start``, the packages it is in, and every local module it imports, transitively."""
    found: dict[str, ModuleInfo] = {}
    pending = [start]
    pending.extend(model.modules[name] for name in prefixes(start.name) if name in model.modules)
    while pending:
        module = pending.pop()
        if module.name in found:
            continue
        found[module.name] = module
        for imported in module.imported_modules:
            for name in prefixes(imported.name):
                local = model.modules.get(name)
                if local is not None and local.name not in found:
                    pending.append(local)
    return sorted(found.values(), key=lambda m: m.name)


def project_folder(chain_file: Path) -> Path:
    """The folder the chain file's imports start from (above its packages, if any)."""
    return locate(chain_file).root


def folder_in_project(chainlet: str, field: str, absolute: str, project: Path) -> SourceDir:
    """A ``data_dir`` / ``external_package_dirs`` folder, checked to exist inside ``project``."""
    path = Path(absolute)
    shown = _within(path, project)
    if not path.exists():
        raise BuildError(
            f"chainlet `{chainlet}`: {field} {shown} does not exist (make_abs_path_here "
            "resolves a path against the folder of the file that names it)"
        )
    if not path.is_dir():
        raise BuildError(f"chainlet `{chainlet}`: {field} {shown} is a file, not a folder")
    resolved = path.resolve()
    try:
        relative = resolved.relative_to(project)
    except ValueError:
        raise BuildError(
            f"chainlet `{chainlet}`: {field} {shown} is outside the project folder "
            f"{display_path(project)} (the folder the chain file's imports start from); move it "
            "inside, so the image can hold it at the same place"
        ) from None
    if relative == Path("."):
        raise BuildError(
            f"chainlet `{chainlet}`: {field} is the project folder {display_path(project)} itself; "
            "point it to a subfolder"
        )
    return SourceDir(PurePosixPath(relative).as_posix(), resolved)


def walk_files(folder: Path) -> Iterator[tuple[str, Path]]:
    """Every file below ``folder`` as (POSIX path relative to it, path), sorted by path.

    Symbolic links are followed (their targets are copied); a link that leads back into a
    folder being walked is refused rather than followed forever.
    """
    yield from _walk(folder, "", {folder.resolve()})


def _walk(folder: Path, prefix: str, active: set[Path]) -> Iterator[tuple[str, Path]]:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError as exc:
        reason = exc.strerror or exc
        raise BuildError(f"cannot read folder {display_path(folder)}: {reason}") from exc
    for entry in entries:
        if entry.name in SKIPPED_NAMES or entry.name.endswith(SKIPPED_SUFFIXES):
            continue
        path = Path(entry.path)
        relative = f"{prefix}{entry.name}"
        if entry.is_dir():
            real = path.resolve()
            if real in active:
                shown = display_path(path)
                raise BuildError(f"{shown} is a symbolic link into its own parent folder")
            yield from _walk(path, f"{relative}/", active | {real})
        elif entry.is_file():
            yield relative, path
        # anything else (a broken link, a socket) is not part of the image


def _within(path: Path, project: Path) -> str:
    """``path`` relative to the project folder when inside it (as the user wrote it)."""
    try:
        return Path(os.path.abspath(path)).relative_to(project).as_posix()
    except ValueError:
        return str(path)
