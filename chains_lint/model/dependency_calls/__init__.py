"""Finding calls to dependencies' ``run_remote`` and how their results are used.

A dependency is reached as ``self.<attr>`` (stored in ``__init__``), as the
``__init__`` parameter itself inside ``__init__``, or through a local alias
(``dep = self._dep``). For every ``<dependency>.run_remote(...)`` call the
analysis climbs from the call through its parent nodes to see what happens to
the result: awaited, iterated, handed to asyncio, stored, returned...

Stored results are followed: a variable (or ``self.<attr>``, or a collection
the call was put into) counts as consumed when one of its uses awaits it,
schedules it, iterates it and awaits the elements, or hands it to a helper
function of the chainlet that does. The analysis errs on the side of
"consumed" wherever it cannot see (lambdas, targets it does not understand,
too deep a chain of hand-offs), so that rules built on it do not raise false
alarms.

``DependencyCall.holder`` names where a result went: the variable for
``stored_*`` (``self.x`` for an attribute, the parameter name when a helper
awaits it, ``helper()`` when a helper returns it and its callers await it),
and the returning function for ``returned``.

The same analysis finds the other members of dependencies that the methods
use (``self._dep.tokenizer``), so that it runs once per chainlet.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from chains_lint.model.dependency_calls.analyzer import DependencyUseAnalyzer
from chains_lint.model.dependency_calls.references import RUN_REMOTE
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import (
    DependencyCall,
    DependencyInfo,
    DependencyMemberAccess,
    MethodInScope,
)

__all__ = [
    "RUN_REMOTE",
    "DependencyUses",
    "find_dependency_calls",
]


@dataclass(frozen=True)
class DependencyUses:
    """A chainlet's calls to its dependencies, and the other dependency members it uses."""

    calls: tuple[DependencyCall, ...] = ()
    members: tuple[DependencyMemberAccess, ...] = ()


def find_dependency_calls(
    namespace: Namespace,
    methods: Sequence[MethodInScope],
    dependencies: Sequence[DependencyInfo],
) -> DependencyUses:
    """Every ``<dependency>.run_remote(...)`` in ``methods``, with how its result is used."""
    del namespace  # callee signatures are looked up by the rules, from the model
    if not dependencies:
        return DependencyUses()
    # Absurdly nested code can exhaust the stack: report nothing rather than crash.
    try:
        analyzer = DependencyUseAnalyzer(methods, dependencies)
        accesses = analyzer.member_accesses()
    except RecursionError:
        return DependencyUses()
    try:
        return DependencyUses(analyzer.calls(), accesses)
    except RecursionError:
        return DependencyUses((), accesses)
