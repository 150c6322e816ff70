"""Finding calls to dependencies' ``run_remote`` and how their results are used."""

from __future__ import annotations

from collections.abc import Sequence

from chains_lint.model.namespace import Namespace
from chains_lint.model.types import DependencyCall, DependencyInfo, MethodInScope


def find_dependency_calls(
    namespace: Namespace,
    methods: Sequence[MethodInScope],
    dependencies: Sequence[DependencyInfo],
) -> tuple[DependencyCall, ...]:
    """Placeholder: implemented with the call rules."""
    return ()
