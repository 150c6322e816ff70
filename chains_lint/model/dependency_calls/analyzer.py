"""The uses of a chainlet's dependencies: ``run_remote`` calls and other member accesses."""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from chains_lint.model.dependency_calls.consumption import ConsumptionTracker
from chains_lint.model.dependency_calls.function_index import definition_order
from chains_lint.model.dependency_calls.references import (
    RUN_REMOTE,
    DependencyReferences,
    FunctionTree,
)
from chains_lint.model.dependency_calls.syntax import is_target
from chains_lint.model.dependency_calls.uses import Holder, Use, UseClassifier
from chains_lint.model.types import (
    CallContext,
    DependencyCall,
    DependencyInfo,
    DependencyMemberAccess,
    MethodInScope,
)
from chains_lint.model.values import read_call


class DependencyUseAnalyzer:
    """Finds and classifies the uses of a chainlet's dependencies in its methods."""

    def __init__(
        self, methods: Sequence[MethodInScope], dependencies: Sequence[DependencyInfo]
    ) -> None:
        self.references = DependencyReferences(methods, dependencies)
        self.classifier = UseClassifier(self.references)
        self.tracker = ConsumptionTracker(self.classifier)

    def calls(self) -> tuple[DependencyCall, ...]:
        """Every ``<dependency>.run_remote(...)`` in the methods, in source order."""
        found: list[tuple[FunctionTree, DependencyCall]] = []
        for tree in list(self.references.trees):
            if tree.method is None:
                continue
            for node in list(tree.index.calls):
                func = node.func
                if not isinstance(func, cst.Attribute) or func.attr.value != RUN_REMOTE:
                    continue
                dependency = self.references.dependency_of(func.value)
                if dependency is not None:
                    found.append((tree, self._dependency_call(tree, node, dependency)))
        if len({id(tree) for tree, _ in found}) > 1:
            # Each method's calls are in source order; put the methods in order too.
            found.sort(
                key=lambda item: (
                    item[0].module.display_path,
                    definition_order(item[0].module, item[0].root),
                )
            )
        return tuple(call for _, call in found)

    def member_accesses(self) -> tuple[DependencyMemberAccess, ...]:
        found: list[DependencyMemberAccess] = []
        for tree in self.references.trees:
            if tree.method is None:
                continue
            attributes = [n for nodes in tree.index.attributes.values() for n in nodes]
            for node in attributes:
                name = node.attr.value
                if name == RUN_REMOTE:
                    continue
                if name.startswith("__") and name.endswith("__"):
                    continue
                dependency = self.references.dependency_of(node.value)
                if dependency is None or is_target(node, tree.index.parents):
                    continue
                found.append(
                    DependencyMemberAccess(
                        dependency,
                        name,
                        tree.method,
                        tree.module.span_of(node.attr),
                        tree.module.span_of(node),
                    )
                )
        return tuple(found)

    def _dependency_call(
        self, tree: FunctionTree, node: cst.Call, dependency: DependencyInfo
    ) -> DependencyCall:
        assert tree.method is not None
        call = read_call(tree.module, node)
        context, holder = self.context_of(node)
        function = self.references.enclosing_function(node)
        return DependencyCall(
            dependency=dependency,
            method=tree.method,
            method_is_async=(
                isinstance(function, cst.FunctionDef) and function.asynchronous is not None
            ),
            context=context,
            args=call.args,
            kwargs=call.kwargs,
            has_star_args=call.has_star_args,
            span=tree.module.span_of(node),
            holder=holder,
        )

    def context_of(self, node: cst.BaseExpression) -> tuple[CallContext, str | None]:
        """How the result of ``node`` is used, and where it is kept if stored."""
        use = self.classifier.use(node, 0)
        kind = use.kind
        if kind in ("await", "scheduled", "discarded", "value"):
            return kind, None
        if kind in ("async_for", "for"):
            if use.level == 0:
                return kind, None
            if kind == "async_for":
                return "value", None
            return self._stored_context(use.holders)
        if kind == "stored":
            return self._stored_context(use.holders)
        if kind == "passed":
            # Handed to a helper: fine if the helper awaits it, else a plain value use.
            context, holder = self._stored_context(use.holders)
            return (context, holder) if context == "stored_consumed" else ("value", None)
        if kind == "returned":
            return self._returned_context(use)
        return "stored_consumed", None  # unknown: somewhere the analysis cannot follow

    def _stored_context(self, holders: tuple[Holder, ...]) -> tuple[CallContext, str | None]:
        name = holders[0].display if holders else None
        if not holders or any(self.tracker.holder_consumed(h, 0, set()) for h in holders):
            return "stored_consumed", name
        return "stored_unconsumed", name

    def _returned_context(self, use: Use) -> tuple[CallContext, str | None]:
        function = use.function
        name = function.name.value if isinstance(function, cst.FunctionDef) else None
        if self.tracker.result_consumed(use, 0, set()):
            return "stored_consumed", f"{name}()" if name else None
        return "returned", name
