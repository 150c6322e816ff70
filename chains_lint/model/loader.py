"""Finding and parsing a chain file and the local modules it imports."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from chains_lint.model.module import ModuleInfo
from chains_lint.model.parser import parse_module


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


def read_source(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


class ModuleLoader:
    """Loads modules for one import root, resolving local imports to files.

    ``search_roots`` are tried in order for absolute imports: the root of the
    linted file first, then the configured source roots.
    """

    def __init__(
        self,
        root: Path,
        source_roots: Sequence[Path],
        cache: dict[tuple[Path, str], ModuleInfo] | None = None,
    ) -> None:
        self.root = root
        self.search_roots = [root, *(r.resolve() for r in source_roots if r.resolve() != root)]
        self.modules: dict[str, ModuleInfo] = {}
        self._cache = cache if cache is not None else {}
        self._missing: set[str] = set()
        # Files reached through an import statement of another loaded module.
        self.imported_paths: set[Path] = set()

    def load(self, path: Path, name: str, *, is_package: bool) -> ModuleInfo:
        path = path.resolve()
        if name in self.modules and self.modules[name].path == path:
            return self.modules[name]
        key = (path, name)
        module = self._cache.get(key)
        if module is None:
            module = parse_module(
                path, name, display_path(path), read_source(path), is_package=is_package
            )
            self._cache[key] = module
        self.modules[name] = module
        return module

    def load_with_imports(self, path: Path, name: str, *, is_package: bool) -> ModuleInfo:
        """Load ``path`` and, transitively, every local module it imports."""
        first = self.load(path, name, is_package=is_package)
        pending = [first]
        while pending:
            module = pending.pop()
            for imported in module.imported_modules:
                for candidate in _prefixes(imported.name):
                    if candidate in self.modules:
                        if candidate != module.name:
                            self.imported_paths.add(self.modules[candidate].path)
                        continue
                    if candidate in self._missing:
                        continue
                    found = self.find(candidate)
                    if found is None:
                        self._missing.add(candidate)
                        continue
                    file, package = found
                    self.imported_paths.add(file.resolve())
                    pending.append(self.load(file, candidate, is_package=package))
        return first

    def find(self, name: str) -> tuple[Path, bool] | None:
        """The file that module ``name`` lives in, searching the roots in order."""
        parts = name.split(".")
        if not all(p.isidentifier() for p in parts):
            return None
        for root in self.search_roots:
            base = root.joinpath(*parts)
            package_init = base / "__init__.py"
            if package_init.is_file():
                return package_init, True
            module_file = base.with_name(base.name + ".py")
            if module_file.is_file():
                return module_file, False
        return None


def _prefixes(dotted: str) -> list[str]:
    """``a.b.c`` -> ``["a", "a.b", "a.b.c"]`` (packages are imported on the way)."""
    parts = dotted.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts)) if parts[i]]
