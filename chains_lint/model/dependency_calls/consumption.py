"""Whether a stored or returned result is consumed somewhere.

A variable (or ``self.<attr>``, or a collection the result was put into)
counts as consumed when one of its uses awaits it, schedules it, iterates it
and awaits the elements, or hands it to a helper function that does. A
returned result is consumed when the callers of the returning function
consume what it returns. Where the analysis cannot see (lambdas, module-level
functions' callers, too deep a chain of hand-offs) it answers "consumed", so
that rules built on it do not raise false alarms.
"""

from __future__ import annotations

from collections.abc import Iterator

import libcst as cst

from chains_lint.model.dependency_calls.references import INIT, RUN_REMOTE
from chains_lint.model.dependency_calls.syntax import is_binding, is_target
from chains_lint.model.dependency_calls.uses import CONSUMING, Holder, Use, UseClassifier

_MAX_DEPTH = 8

Seen = set[tuple[str, int]]


class ConsumptionTracker:
    """Follows holders and returned values to the uses that consume them."""

    def __init__(self, classifier: UseClassifier) -> None:
        self.classifier = classifier
        self.references = classifier.references
        self._cache: dict[tuple[str, int, int], bool] = {}
        self._cycle_cuts = 0

    def consumed(self, use: Use, depth: int, seen: Seen) -> bool:
        kind = use.kind
        if kind in CONSUMING:
            return True
        if kind in ("for", "async_for"):
            if use.level == 0:
                return True
            return any(self.holder_consumed(h, depth + 1, seen) for h in use.holders)
        if kind in ("stored", "passed"):
            return any(self.holder_consumed(h, depth + 1, seen) for h in use.holders)
        if kind == "returned":
            return self.result_consumed(use, depth + 1, seen)
        return False

    def holder_consumed(self, holder: Holder, depth: int, seen: Seen) -> bool:
        key = (holder.display, id(holder.scope))
        if depth > _MAX_DEPTH:
            return True
        cache_key = (holder.display, id(holder.scope), holder.level)
        cached = self._cache.get(cache_key)
        if cached is not None:
            return cached
        if not self._first_visit(key, seen):
            return False
        cuts = self._cycle_cuts
        result = any(
            self.consumed(self.classifier.use(node, holder.level), depth, seen)
            for node in self._occurrences(holder)
        )
        # A "no" reached by cutting a cycle short is only valid inside that cycle.
        if result or cuts == self._cycle_cuts:
            self._cache[cache_key] = result
        return result

    def _first_visit(self, key: tuple[str, int], seen: Seen) -> bool:
        """Marks ``key`` as seen; False when it already was (a cycle, cut short here)."""
        if key in seen:
            self._cycle_cuts += 1
            return False
        seen.add(key)
        return True

    def _occurrences(self, holder: Holder) -> Iterator[cst.CSTNode]:
        refs = self.references
        if holder.scope is None:
            for owner, attribute in refs.self_attributes(holder.name):
                if not is_target(attribute, owner.index.parents):
                    yield attribute
            return
        tree = refs.tree_of(holder.scope)
        if tree is None:
            return
        for name in list(tree.index.names.get(holder.name, [])):
            if not is_binding(name, tree.index.parents) and refs.inside(name, holder.scope):
                yield name

    def result_consumed(self, use: Use, depth: int, seen: Seen) -> bool:
        """Whether what a function returns is consumed by the callers of that function."""
        refs = self.references
        function = use.function
        if not isinstance(function, cst.FunctionDef):
            return True  # a lambda, or code outside any function: cannot follow
        name = function.name.value
        tree = refs.tree_of(function)
        if tree is None:
            return True
        if tree.root is function and tree.method is not None:
            if name in (RUN_REMOTE, INIT):
                return False  # handed to the framework
            sites: list[cst.CSTNode] = [a for _, a in refs.self_attributes(name)]
        elif tree.root is function:
            return True  # a module-level function: callers are not followed
        else:
            sites = list(self._nested_references(function))
        if depth > _MAX_DEPTH or not sites:
            return True
        if not self._first_visit((f"{name}()", id(function)), seen):
            return False
        is_coroutine = function.asynchronous is not None and not self._yields(function)
        for site in sites:
            call = refs.parent(site)
            if not isinstance(call, cst.Call) or call.func is not site:
                return True  # the function itself is passed around: cannot follow
            if is_coroutine:
                # ``await helper()`` gives back what the helper returned.
                awaited = refs.parent(call)
                if not isinstance(awaited, cst.Await):
                    if self.classifier.use(call, 0).kind in ("scheduled", "unknown"):
                        return True  # results of gathered helpers: not followed
                    continue
                call_use = self.classifier.use(awaited, use.level)
            else:
                call_use = self.classifier.use(call, use.level)
            if self.consumed(call_use, depth, seen):
                return True
        return False

    def _yields(self, function: cst.FunctionDef) -> bool:
        tree = self.references.tree_of(function)
        if tree is None:
            return False
        return any(
            isinstance(node, cst.Yield) and self.references.enclosing_function(node) is function
            for node in tree.index.nodes
        )

    def _nested_references(self, function: cst.FunctionDef) -> Iterator[cst.CSTNode]:
        refs = self.references
        scope = refs.enclosing_function(function)
        tree = refs.tree_of(function)
        if scope is None or tree is None:
            return
        for node in list(tree.index.names.get(function.name.value, [])):
            if not is_binding(node, tree.index.parents) and refs.inside(node, scope):
                yield node
