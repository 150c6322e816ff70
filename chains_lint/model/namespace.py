"""Resolving qualified names across the loaded modules (following re-exports)."""

from __future__ import annotations

import libcst as cst

from chains_lint.model.module import ModuleInfo
from chains_lint.model.sdk import sdk_symbol
from chains_lint.model.types import ClassInfo, StaticValue
from chains_lint.model.values import dotted_name

_MAX_HOPS = 16


class Namespace:
    """Every module loaded for one import root, by dotted module name."""

    def __init__(self, modules: dict[str, ModuleInfo]) -> None:
        self.modules = modules

    def split(self, qualified: str) -> tuple[ModuleInfo, list[str]] | None:
        """The loaded module a qualified name lives in, and the rest of the name."""
        parts = qualified.split(".")
        for cut in range(len(parts), 0, -1):
            module = self.modules.get(".".join(parts[:cut]))
            if module is not None:
                return module, parts[cut:]
        return None

    def canonical(self, qualified: str | None) -> str | None:
        """Follow re-exports: ``pkg.Model`` -> ``pkg.models.Model`` when pkg imports it."""
        current = qualified
        for _ in range(_MAX_HOPS):
            if current is None:
                return None
            found = self.split(current)
            if found is None:
                return current
            module, rest = found
            if not rest:
                return current
            head = rest[0]
            if head in module.imports and head not in module.classes:
                target = module.imports[head]
                following = ".".join([target, *rest[1:]])
                if following == current:
                    return current
                current = following
                continue
            return current
        return current

    def find_class(self, qualified: str | None) -> ClassInfo | None:
        canonical = self.canonical(qualified)
        if canonical is None:
            return None
        found = self.split(canonical)
        if found is None:
            return None
        module, rest = found
        if not rest:
            return None
        if len(rest) == 1:
            return module.classes.get(rest[0])
        dotted = f"{module.name}.{'.'.join(rest)}" if module.name else ".".join(rest)
        for cls in module.nested_classes:
            if cls.qualified == dotted:
                return cls
        return None

    def base_head(self, cls: ClassInfo, base: StaticValue) -> str | None:
        """The qualified name a base of ``cls`` names, looking through ``Generic[T]``-style
        subscripts (not followed through re-exports: see :meth:`canonical`)."""
        node = base.node
        if not isinstance(node, cst.Subscript):
            return base.qualified_name
        module = self.modules.get(cls.module_name)
        head = dotted_name(node.value)
        return module.qualify(head) if module is not None and head else None

    def module_of(self, cls: ClassInfo) -> ModuleInfo:
        return self.modules[cls.module_name]

    def sdk_symbol(self, qualified: str | None) -> str | None:
        """The SDK symbol (``depends``, ``ChainletBase``...) a name refers to, or None."""
        return sdk_symbol(self.canonical(qualified))
