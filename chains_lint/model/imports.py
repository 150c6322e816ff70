"""The local modules a module imports, directly or through other local modules."""

from __future__ import annotations

from collections.abc import Mapping

from chains_lint.model.module import ModuleInfo


def local_imports(module: ModuleInfo, modules: Mapping[str, ModuleInfo]) -> list[ModuleInfo]:
    """The loaded modules (``modules``, by name) ``module`` imports transitively, in the order
    first reached; packages on the way (``a`` of ``import a.b``) count as imported."""
    reached: dict[str, ModuleInfo] = {}
    pending = [module]
    while pending:
        current = pending.pop(0)
        for imported in current.imported_modules:
            parts = imported.name.split(".")
            for end in range(1, len(parts) + 1):
                name = ".".join(parts[:end])
                found = modules.get(name)
                if found is None or found is module or name in reached:
                    continue
                reached[name] = found
                pending.append(found)
    return list(reached.values())
