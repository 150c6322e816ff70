"""Finding and parsing a chain file and the local modules it imports."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from chains_lint.model.locations import (
    ModuleLocation,
    display_path,
    find_module,
    locate,
    read_source,
)
from chains_lint.model.module import ModuleInfo
from chains_lint.model.parser import parse_module

__all__ = ["ModuleLoader", "ModuleLocation", "display_path", "locate", "read_source"]


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
        # Every import name looked up on the file system, and what it resolved to:
        # the cache checks these still hold (a new file can change a resolution).
        self.resolutions: dict[str, tuple[Path, bool] | None] = {}

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
                    self.resolutions[candidate] = found
                    if found is None:
                        self._missing.add(candidate)
                        continue
                    file, package = found
                    self.imported_paths.add(file.resolve())
                    pending.append(self.load(file, candidate, is_package=package))
        return first

    def find(self, name: str) -> tuple[Path, bool] | None:
        """The file that module ``name`` lives in, searching the roots in order."""
        return find_module(self.search_roots, name)


def _prefixes(dotted: str) -> list[str]:
    """``a.b.c`` -> ``["a", "a.b", "a.b.c"]`` (packages are imported on the way)."""
    parts = dotted.split(".")
    return [".".join(parts[: i + 1]) for i in range(len(parts)) if parts[i]]
