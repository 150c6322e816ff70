"""Classes that are certainly not chainlets: every base is known and none leads to one."""

from __future__ import annotations

from chains_lint.model.namespace import Namespace
from chains_lint.model.types import ClassInfo

# Modules whose classes are never chainlets (so a class deriving only from them is not one).
NON_CHAINLET_MODULES = frozenset(
    {"builtins", "typing", "typing_extensions", "abc", "enum", "dataclasses", "pydantic",
     "collections"}
)
_MAX_BASE_DEPTH = 32


def definitely_not_chainlet(namespace: Namespace, cls: ClassInfo) -> bool:
    """True when every base of ``cls`` is known and none leads to ``ChainletBase``.

    A class deriving from something the linter cannot see (an installed package)
    might be a chainlet, so it is not "definitely" not one.
    """
    return _not_chainlet(namespace, cls, 0, set())


def _not_chainlet(namespace: Namespace, cls: ClassInfo, depth: int, seen: set[str]) -> bool:
    if depth > _MAX_BASE_DEPTH or cls.qualified in seen:
        return False
    seen = seen | {cls.qualified}
    for base in cls.bases:
        qualified = namespace.base_head(cls, base)
        if qualified is None or namespace.sdk_symbol(qualified) is not None:
            return False
        parent = namespace.find_class(qualified)
        if parent is not None:
            if not _not_chainlet(namespace, parent, depth + 1, seen):
                return False
            continue
        canonical = namespace.canonical(qualified) or qualified
        if canonical.partition(".")[0] not in NON_CHAINLET_MODULES:
            return False
    return True
