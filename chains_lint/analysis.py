"""Analysing a set of files: grouping by import root, loading, building models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from chains_lint.files import iter_python_files
from chains_lint.model.builder import build_model
from chains_lint.model.loader import ModuleLoader, locate, read_source
from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import ChainModel

__all__ = ["Analysis", "LintTarget", "analyse", "iter_python_files"]


@dataclass
class LintTarget:
    """A linted file, the model it was analysed in, and its module."""

    module: ModuleInfo
    model: ChainModel


@dataclass
class Analysis:
    targets: list[LintTarget]
    source_roots: tuple[Path, ...]
    # Files that some analysed module imports (so they are libraries, not chains).
    imported_paths: set[Path] = field(default_factory=set)
    _source_root_importers: dict[str, bool] = field(default_factory=dict)
    _source_root_texts: list[tuple[Path, str]] | None = None
    _source_root_imports: dict[Path, set[Path]] = field(default_factory=dict)
    # One loader per import root: what each group of files loaded and resolved.
    loaders: dict[Path, ModuleLoader] = field(default_factory=dict)

    def is_imported(self, module: ModuleInfo) -> bool:
        """True when another linted file, or a file under a source root, imports ``module``."""
        if module.path in self.imported_paths:
            return True
        key = str(module.path)
        if key not in self._source_root_importers:
            self._source_root_importers[key] = self._imported_from_source_roots(module)
        return self._source_root_importers[key]

    def _imported_from_source_roots(self, module: ModuleInfo) -> bool:
        if not self.source_roots or not module.name:
            return False
        leaf = module.name.rpartition(".")[2]
        for path, text in self._source_root_files():
            if path != module.path and leaf in text and module.path in self._imports_of(path):
                return True
        return False

    def _source_root_files(self) -> list[tuple[Path, str]]:
        """Every file under the source roots with its text, read once per analysis."""
        if self._source_root_texts is None:
            self._source_root_texts = []
            for root in self.source_roots:
                for path in iter_python_files(root):
                    try:
                        text = read_source(path)
                    except OSError:
                        continue
                    self._source_root_texts.append((path.resolve(), text))
        return self._source_root_texts

    def _imports_of(self, path: Path) -> set[Path]:
        """The local files ``path`` imports, parsed once per analysis."""
        found = self._source_root_imports.get(path)
        if found is None:
            location = locate(path)
            loader = ModuleLoader(location.root, self.source_roots)
            importer = loader.load(path, location.name, is_package=location.is_package)
            found = set()
            for imported in importer.imported_modules:
                target = loader.find(imported.name)
                if target is not None:
                    found.add(target[0].resolve())
            self._source_root_imports[path] = found
        return found


def analyse(files: Sequence[Path], source_roots: Sequence[Path] = ()) -> Analysis:
    """Load every file (and the local modules it imports) and build chain models.

    Files are grouped by import root: each root gets its own namespace, so two
    ``chain.py`` in different folders do not collide.
    """
    roots = tuple(r.resolve() for r in source_roots)
    groups: dict[Path, list[tuple[Path, str, bool]]] = {}
    for file in files:
        location = locate(file)
        groups.setdefault(location.root, []).append(
            (file.resolve(), location.name, location.is_package)
        )
    cache: dict[tuple[Path, str], ModuleInfo] = {}
    analysis = Analysis([], roots)
    by_path: dict[Path, LintTarget] = {}
    for root, members in groups.items():
        loader = ModuleLoader(root, roots, cache)
        linted: list[ModuleInfo] = []
        for path, name, is_package in members:
            linted.append(loader.load_with_imports(path, name, is_package=is_package))
        model = build_model(loader.modules, tuple(m.path for m in linted))
        analysis.imported_paths |= loader.imported_paths
        analysis.loaders[root] = loader
        for module in linted:
            by_path[module.path] = LintTarget(module, model)
    ordered = dict.fromkeys(f.resolve() for f in files)
    analysis.targets = [by_path[f] for f in ordered if f in by_path]
    return analysis
