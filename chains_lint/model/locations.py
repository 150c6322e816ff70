"""Where a module file sits and which file an import name resolves to, without parsing.

Kept free of libcst so that a run answered from the cache never imports it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ModuleLocation:
    root: Path  # the folder absolute imports start from
    name: str  # dotted module name below root
    is_package: bool


def locate(path: Path) -> ModuleLocation:
    """Where ``path`` sits as a module: its package root and dotted name."""
    path = path.resolve()
    is_package = path.name == "__init__.py"
    parts = [] if is_package else [path.stem]
    folder = path.parent
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        parts.insert(0, folder.name)
        folder = folder.parent
    return ModuleLocation(folder, ".".join(parts), is_package)


def display_path(path: Path) -> str:
    """``path`` relative to the working directory when below it, else absolute."""
    try:
        relative = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if relative.startswith("..") else relative


def decode_source(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_source(path: Path) -> str:
    return decode_source(path.read_bytes())


def find_module(search_roots: Sequence[Path], name: str) -> tuple[Path, bool] | None:
    """The file that module ``name`` lives in, searching the roots in order.

    Returns the file and whether it is a package's ``__init__.py``.
    """
    parts = name.split(".")
    if not all(p.isidentifier() for p in parts):
        return None
    for root in search_roots:
        base = root.joinpath(*parts)
        package_init = base / "__init__.py"
        if package_init.is_file():
            return package_init, True
        module_file = base.with_name(base.name + ".py")
        if module_file.is_file():
            return module_file, False
    return None
