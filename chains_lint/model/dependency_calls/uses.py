"""How a value is used: climbing from an expression through its parents.

From a ``run_remote`` call (or a name holding its result) the climb looks at
each enclosing node until one decides what happens to the value: awaited,
iterated, handed to asyncio, stored, returned, passed to a helper... Values
can sit inside collections: ``level`` counts how deep (0 for the value itself,
1 for a list of them, and so on).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import libcst as cst

from chains_lint.model.dependency_calls.references import DependencyReferences
from chains_lint.model.dependency_calls.syntax import (
    is_self_attribute,
    param_for_argument,
    target_names,
)
from chains_lint.model.values import dotted_name

_MAX_CLIMB = 200

# Functions that take an awaitable (or an iterable of them) and run it.
_SCHEDULING_FUNCTIONS = frozenset(
    {
        "asyncio.create_task",
        "asyncio.ensure_future",
        "asyncio.gather",
        "asyncio.wait",
        "asyncio.wait_for",
        "asyncio.shield",
        "asyncio.as_completed",
        "asyncio.run",
        "asyncio.run_coroutine_threadsafe",
        "asyncio.Task",
        "asyncio.tasks.gather",
    }
)
# ``<x>.create_task(...)`` on a TaskGroup or a loop, ``loop.run_until_complete(...)``.
_SCHEDULING_METHODS = frozenset(
    {"create_task", "run_until_complete", "ensure_future", "run_coroutine_threadsafe"}
)
# ``xs.append(item)``: the receiver now holds ``item`` one level down.
_ADDING_METHODS = frozenset({"append", "appendleft", "add", "insert", "put", "put_nowait"})
# ``xs.extend(items)``: the receiver now holds the elements of ``items``.
_EXTENDING_METHODS = frozenset({"extend", "extendleft", "update"})
# ``d.values()``: the same elements, seen through another object.
_VIEW_METHODS = frozenset({"values", "items", "copy"})
_VIEW_FUNCTIONS = frozenset(
    {"list", "tuple", "set", "frozenset", "iter", "reversed", "sorted", "enumerate", "zip"}
)

UseKind = Literal[
    "await", "async_for", "for", "scheduled", "stored", "returned", "passed", "discarded",
    "value", "unknown",
]
CONSUMING: frozenset[UseKind] = frozenset({"await", "async_for", "scheduled", "unknown"})


@dataclass(frozen=True, eq=False)
class Holder:
    """Where a result is kept: a local name in a scope, or an attribute of ``self``.

    ``level`` is how deep the result sits: 0 for the result itself, 1 for a
    list of results, and so on.
    """

    name: str
    level: int
    scope: cst.CSTNode | None = None  # None for ``self.<name>``

    @property
    def display(self) -> str:
        return self.name if self.scope is not None else f"self.{self.name}"


@dataclass(frozen=True, eq=False)
class Use:
    kind: UseKind
    level: int = 0
    holders: tuple[Holder, ...] = ()  # stored / iterated (for targets) / passed
    function: cst.CSTNode | None = None  # returned: the function returning it


class UseClassifier:
    """Says how the value of an expression is used, from the code around it."""

    def __init__(self, references: DependencyReferences) -> None:
        self.references = references

    def use(self, node: cst.CSTNode, level: int) -> Use:
        refs = self.references
        child = node
        for _ in range(_MAX_CLIMB):
            parent = refs.parent(child)
            if parent is None or level < 0:
                return Use("value")
            if isinstance(parent, cst.Await):
                return Use("await", level)
            if isinstance(parent, (cst.For, cst.CompFor)):
                return self._loop_use(parent, child, level)
            if isinstance(parent, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
                if child is not (
                    parent.value if isinstance(parent, cst.DictComp) else parent.elt
                ):
                    return Use("value")
                level += 1
            elif isinstance(parent, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
                level += 1
            elif isinstance(parent, (cst.StarredElement, cst.StarredDictElement)):
                level -= 1
            elif isinstance(parent, cst.DictElement):
                if child is not parent.value:
                    return Use("value")
            elif isinstance(parent, cst.IfExp):
                if child is parent.test:
                    return Use("value")
            elif isinstance(parent, cst.Subscript):
                if child is not parent.value or level == 0:
                    return Use("value")
                level -= 1
            elif isinstance(parent, cst.From):
                level -= 1
            elif isinstance(parent, cst.Yield):
                return Use("returned", level + 1, function=refs.enclosing_function(parent))
            elif isinstance(parent, cst.NamedExpr):
                return self._named_expr_use(parent, level)
            elif isinstance(parent, cst.Arg):
                return self._arg_use(parent, level)
            elif isinstance(parent, cst.Attribute):
                return self._attribute_use(parent, child, level)
            elif isinstance(parent, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                return self._assignment_use(parent, child, level)
            elif isinstance(parent, cst.Return):
                return Use("returned", level, function=refs.enclosing_function(parent))
            elif isinstance(parent, cst.Lambda):
                return Use("unknown")
            elif isinstance(parent, cst.Expr):
                return Use("discarded", level)
            elif not isinstance(parent, (cst.Element, cst.BooleanOperation)):
                return Use("value")
            child = parent
        return Use("unknown")

    def _loop_use(self, loop: cst.For | cst.CompFor, child: cst.CSTNode, level: int) -> Use:
        if child is not loop.iter:
            return Use("value")
        kind: UseKind = "async_for" if loop.asynchronous is not None else "for"
        if level == 0:
            return Use(kind, 0)
        scope: cst.CSTNode | None = loop
        if isinstance(loop, cst.CompFor):
            scope = self._comprehension_of(loop)
        else:
            scope = self.references.enclosing_function(loop) or loop
        holders = tuple(
            Holder(name, level - 1 + shift, scope) for name, shift in target_names(loop.target)
        )
        return Use(kind, level, holders) if holders else Use("unknown")

    def _comprehension_of(self, node: cst.CompFor) -> cst.CSTNode:
        current: cst.CSTNode = node
        parent = self.references.parent(current)
        while isinstance(parent, cst.CompFor):
            current = parent
            parent = self.references.parent(current)
        return parent if parent is not None else current

    def _named_expr_use(self, node: cst.NamedExpr, level: int) -> Use:
        outer = self.use(node, level)
        if outer.kind in CONSUMING or (outer.kind in ("for", "async_for") and level == 0):
            return outer
        if not isinstance(node.target, cst.Name):
            return Use("unknown")
        holder = Holder(node.target.value, level, self.references.enclosing_function(node))
        return Use("stored", level, (holder, *outer.holders))

    def _assignment_use(
        self, node: cst.Assign | cst.AnnAssign | cst.AugAssign, child: cst.CSTNode, level: int
    ) -> Use:
        if child is not node.value:
            return Use("value")
        targets: list[cst.BaseExpression]
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        else:
            targets = [node.target]
        holders: list[Holder] = []
        for target in targets:
            found = self._holders_for_target(target, level)
            if found is None:
                return Use("unknown")
            holders += found
        return Use("stored", level, tuple(holders)) if holders else Use("value")

    def _holders_for_target(self, target: cst.BaseExpression, level: int) -> list[Holder] | None:
        """Holders an assignment to ``target`` creates; None when the target is opaque."""
        scope = self.references.enclosing_function(target)
        if isinstance(target, cst.Name):
            return [Holder(target.value, level, scope)]
        holder = self.holder_of_receiver(target, level)
        if holder is not None:
            return [holder]
        if isinstance(target, cst.Subscript):
            inner = self.holder_of_receiver(target.value, level + 1)
            return [inner] if inner is not None else None
        if isinstance(target, (cst.Tuple, cst.List)):
            if level == 0:
                return []  # unpacking a coroutine: a plain value use
            return [Holder(n, level - 1 + s, scope) for n, s in target_names(target)]
        return None

    def holder_of_receiver(self, expr: cst.CSTNode, level: int) -> Holder | None:
        """The holder for a local name or ``self.<attr>`` expression, else None."""
        if isinstance(expr, cst.Name):
            return Holder(expr.value, level, self.references.enclosing_function(expr))
        tree = self.references.tree_of(expr)
        if tree is not None and is_self_attribute(expr, tree.self_name):
            assert isinstance(expr, cst.Attribute)
            return Holder(expr.attr.value, level)
        return None

    def _attribute_use(self, node: cst.Attribute, child: cst.CSTNode, level: int) -> Use:
        if child is not node.value or level == 0:
            return Use("value")
        call = self.references.parent(node)
        if not isinstance(call, cst.Call) or call.func is not node:
            return Use("value")
        if node.attr.value in _VIEW_METHODS:
            return self.use(call, level)
        return Use("value")  # xs.append(...) and friends store into xs: not a use

    def _arg_use(self, arg: cst.Arg, level: int) -> Use:
        if arg.star == "**":
            return Use("unknown")
        if arg.star == "*":
            level -= 1
        call = self.references.parent(arg)
        if not isinstance(call, cst.Call) or level < 0:
            return Use("value")
        func = call.func
        if self._is_scheduling(func):
            return Use("scheduled", level)
        if isinstance(func, cst.Attribute) and func.attr.value in (
            _ADDING_METHODS | _EXTENDING_METHODS
        ):
            shift = 1 if func.attr.value in _ADDING_METHODS else 0
            if arg.star:
                shift = 0
            holder = self.holder_of_receiver(func.value, level + shift)
            return Use("stored", level, (holder,)) if holder is not None else Use("unknown")
        if isinstance(func, cst.Name) and func.value in _VIEW_FUNCTIONS and level >= 1:
            return self.use(call, level)
        passed = self._passed_to_helper(call, arg, level)
        if passed is not None:
            return passed
        if self.references.is_dependency_call(call):
            return Use("value")
        outer = self.use(call, 0)
        if outer.kind in ("await", "scheduled", "async_for"):
            # A wrapper we cannot see into, like ``await with_retries(coro)``: it most
            # likely awaits its argument.
            return Use("unknown")
        return Use("value")

    def _is_scheduling(self, func: cst.BaseExpression) -> bool:
        if isinstance(func, cst.Attribute) and func.attr.value in _SCHEDULING_METHODS:
            return True
        name = dotted_name(func)
        tree = self.references.tree_of(func)
        if name is None or tree is None:
            return False
        return tree.module.qualify(name) in _SCHEDULING_FUNCTIONS

    def _passed_to_helper(self, call: cst.Call, arg: cst.Arg, level: int) -> Use | None:
        resolved = self.references.helper_function(call.func)
        if resolved is None:
            return None
        function, skip_first = resolved
        param = param_for_argument(function, skip_first, call, arg)
        if param is None:
            return Use("unknown")
        return Use("passed", level, (Holder(param, level, function),))

