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
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Literal

import libcst as cst

from chains_lint.diagnostics import Span
from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import (
    CallContext,
    Chainlet,
    DependencyCall,
    DependencyInfo,
    MethodInScope,
)
from chains_lint.model.values import dotted_name, read_call

RUN_REMOTE = "run_remote"
_INIT = "__init__"
_MAX_DEPTH = 8
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
_CONSUMING: frozenset[UseKind] = frozenset({"await", "async_for", "scheduled", "unknown"})


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
class _Use:
    kind: UseKind
    level: int = 0
    holders: tuple[Holder, ...] = ()  # stored / iterated (for targets) / passed
    function: cst.CSTNode | None = None  # returned: the function returning it


@dataclass(frozen=True, eq=False)
class DependencyMemberAccess:
    """``<dependency>.<name>`` for a name other than ``run_remote``."""

    dependency: DependencyInfo
    name: str
    method: str
    span: Span  # the attribute name
    expression_span: Span  # the whole ``self._dep.name``


@dataclass(eq=False)
class _Tree:
    """A function's syntax tree with parent links, and where it comes from."""

    root: cst.FunctionDef
    module: ModuleInfo
    method: str | None  # the chainlet method name, None for other functions
    self_name: str | None
    parents: dict[cst.CSTNode, cst.CSTNode] = field(default_factory=dict)
    # Lookup tables, so that following a holder does not rescan the whole tree.
    names: dict[str, list[cst.Name]] = field(default_factory=dict)
    attributes: dict[str, list[cst.Attribute]] = field(default_factory=dict)
    functions: list[cst.FunctionDef] = field(default_factory=list)
    calls: list[cst.Call] = field(default_factory=list)


class _ParentRecorder(cst.CSTVisitor):
    def __init__(self, tree: _Tree, index: dict[cst.CSTNode, _Tree]) -> None:
        self.tree = tree
        self.index = index
        self.stack: list[cst.CSTNode] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        tree = self.tree
        if self.stack:
            tree.parents[node] = self.stack[-1]
        self.index[node] = tree
        self.stack.append(node)
        if isinstance(node, cst.Name):
            tree.names.setdefault(node.value, []).append(node)
        elif isinstance(node, cst.Attribute):
            tree.attributes.setdefault(node.attr.value, []).append(node)
        elif isinstance(node, cst.FunctionDef):
            tree.functions.append(node)
        elif isinstance(node, cst.Call):
            tree.calls.append(node)
        return True

    def on_leave(self, original_node: cst.CSTNode) -> None:
        self.stack.pop()


def _is_staticmethod(node: cst.FunctionDef) -> bool:
    return any(dotted_name(d.decorator) == "staticmethod" for d in node.decorators)


def _self_name(node: cst.FunctionDef) -> str | None:
    for decorator in node.decorators:
        if dotted_name(decorator.decorator) in ("staticmethod", "classmethod"):
            return None
    params = [*node.params.posonly_params, *node.params.params]
    return params[0].name.value if params else None


def _is_binding(name: cst.Name, parents: dict[cst.CSTNode, cst.CSTNode]) -> bool:
    """True when ``name`` is not a read of a variable (a target, an attribute name...)."""
    parent = parents.get(name)
    if isinstance(parent, cst.Attribute) and parent.attr is name:
        return True
    if isinstance(parent, cst.Arg) and parent.keyword is name:
        return True
    if isinstance(
        parent,
        (cst.Param, cst.FunctionDef, cst.ClassDef, cst.AsName, cst.ImportAlias, cst.NameItem),
    ):
        return True
    return _is_target(name, parents)


def _is_target(node: cst.CSTNode, parents: dict[cst.CSTNode, cst.CSTNode]) -> bool:
    """True when ``node`` is (part of) an assignment or loop target."""
    child = node
    parent = parents.get(child)
    while isinstance(parent, (cst.Element, cst.StarredElement, cst.Tuple, cst.List)):
        child = parent
        parent = parents.get(child)
    if isinstance(parent, cst.AssignTarget):
        return True
    if isinstance(parent, (cst.AnnAssign, cst.AugAssign, cst.For, cst.CompFor, cst.NamedExpr)):
        return parent.target is child
    return isinstance(parent, cst.Del)


def _target_names(target: cst.BaseExpression) -> list[tuple[str, int]]:
    """Names bound by a loop / assignment target, with the level shift of each.

    ``a, *rest`` binds ``a`` to one element (shift 0) and ``rest`` to a list of
    them (shift 1).
    """
    if isinstance(target, cst.Name):
        return [(target.value, 0)]
    if isinstance(target, (cst.Tuple, cst.List)):
        found: list[tuple[str, int]] = []
        for element in target.elements:
            shift = 1 if isinstance(element, cst.StarredElement) else 0
            found += [(n, s + shift) for n, s in _target_names(element.value)]
        return found
    return []


class DependencyUseAnalyzer:
    """Finds and classifies the uses of a chainlet's dependencies in its methods."""

    def __init__(
        self, methods: Sequence[MethodInScope], dependencies: Sequence[DependencyInfo]
    ) -> None:
        self.dependencies = tuple(dependencies)
        self.index: dict[cst.CSTNode, _Tree] = {}
        self.trees: list[_Tree] = []
        self.methods: dict[str, _Tree] = {}
        for method in methods:
            tree = self._register(method.function.node, method.module, method.function.name)
            self.methods.setdefault(method.function.name, tree)
        self._consumed_cache: dict[tuple[str, int, int], bool] = {}
        self._cycle_cuts = 0
        self.attributes = self._dependency_attributes()
        self.init_params = self._init_params()
        self.aliases = {tree.root: self._aliases(tree) for tree in self.trees}

    # -- setup --------------------------------------------------------------

    def _register(self, root: cst.FunctionDef, module: ModuleInfo, method: str | None) -> _Tree:
        existing = self.index.get(root)
        if existing is not None:
            return existing
        tree = _Tree(root, module, method, _self_name(root) if method else None)
        root.visit(_ParentRecorder(tree, self.index))
        self.trees.append(tree)
        return tree

    def _dependency_attributes(self) -> dict[str, DependencyInfo]:
        """``self.<attr>`` names that hold a dependency and nothing else."""
        attributes = {a: d for d in self.dependencies for a in d.attributes}
        for tree in self.trees:
            for node in tree.parents:
                assigned = _self_attribute_store(tree, node)
                if assigned is None or assigned[0] not in attributes:
                    continue
                attr, value = assigned
                param = attributes[attr].param.name
                from_param = (
                    tree.method == _INIT
                    and isinstance(value, cst.Name)
                    and value.value == param
                )
                if not from_param:
                    del attributes[attr]
        return attributes

    def _init_params(self) -> dict[str, DependencyInfo]:
        init = self.methods.get(_INIT)
        if init is None:
            return {}
        params = {d.param.name: d for d in self.dependencies}
        for name in list(params):
            if any(_is_target(node, init.parents) for node in init.names.get(name, [])):
                del params[name]  # rebound: no longer the dependency everywhere
        return params

    def _aliases(self, tree: _Tree) -> dict[str, DependencyInfo]:
        """Local names bound only to one dependency (``dep = self._dep``)."""
        candidates: dict[str, DependencyInfo | None] = {}
        bindings = (
            node
            for nodes in tree.names.values()
            for node in nodes
            if _is_binding(node, tree.parents)
        )
        for node in bindings:
            parent = tree.parents.get(node)
            found: DependencyInfo | None = None
            if isinstance(parent, cst.AssignTarget):
                assign = tree.parents.get(parent)
                if isinstance(assign, cst.Assign):
                    found = self._direct_dependency(assign.value, tree)
            elif isinstance(parent, cst.AnnAssign) and parent.value is not None:
                found = self._direct_dependency(parent.value, tree)
            elif isinstance(parent, cst.Attribute) or (
                isinstance(parent, cst.Arg) and parent.keyword is node
            ):
                continue
            previous = candidates.get(node.value, found)
            candidates[node.value] = found if previous is found else None
        return {name: dep for name, dep in candidates.items() if dep is not None}

    # -- recognising dependencies -------------------------------------------

    def _direct_dependency(self, expr: cst.CSTNode, tree: _Tree) -> DependencyInfo | None:
        if (
            isinstance(expr, cst.Attribute)
            and isinstance(expr.value, cst.Name)
            and tree.self_name is not None
            and expr.value.value == tree.self_name
        ):
            return self.attributes.get(expr.attr.value)
        if isinstance(expr, cst.Name) and tree.method == _INIT:
            return self.init_params.get(expr.value)
        return None

    def dependency_of(self, expr: cst.CSTNode) -> DependencyInfo | None:
        tree = self.index.get(expr)
        if tree is None:
            return None
        direct = self._direct_dependency(expr, tree)
        if direct is not None:
            return direct
        if isinstance(expr, cst.Name) and not _is_binding(expr, tree.parents):
            return self.aliases.get(tree.root, {}).get(expr.value)
        return None

    # -- results ------------------------------------------------------------

    def calls(self) -> tuple[DependencyCall, ...]:
        found: list[DependencyCall] = []
        for tree in list(self.trees):
            if tree.method is None:
                continue
            for node in list(tree.calls):
                func = node.func
                if not isinstance(func, cst.Attribute) or func.attr.value != RUN_REMOTE:
                    continue
                dependency = self.dependency_of(func.value)
                if dependency is not None:
                    found.append(self._dependency_call(tree, node, dependency))
        found.sort(key=lambda c: (c.span.path, c.span.line, c.span.column))
        return tuple(found)

    def member_accesses(self) -> tuple[DependencyMemberAccess, ...]:
        found: list[DependencyMemberAccess] = []
        for tree in self.trees:
            if tree.method is None:
                continue
            attributes = [n for nodes in tree.attributes.values() for n in nodes]
            for node in attributes:
                name = node.attr.value
                if name == RUN_REMOTE:
                    continue
                if name.startswith("__") and name.endswith("__"):
                    continue
                dependency = self.dependency_of(node.value)
                if dependency is None or _is_target(node, tree.parents):
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
        self, tree: _Tree, node: cst.Call, dependency: DependencyInfo
    ) -> DependencyCall:
        assert tree.method is not None
        call = read_call(tree.module, node)
        context, holder = self.context_of(node)
        return DependencyCall(
            dependency=dependency,
            method=tree.method,
            method_is_async=self._in_async_function(node),
            context=context,
            args=call.args,
            kwargs=call.kwargs,
            has_star_args=call.has_star_args,
            span=tree.module.span_of(node),
            holder=holder,
        )

    def context_of(self, node: cst.BaseExpression) -> tuple[CallContext, str | None]:
        """How the result of ``node`` is used, and where it is kept if stored."""
        use = self._use(node, 0)
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
        if not holders or any(self._holder_consumed(h, 0, set()) for h in holders):
            return "stored_consumed", name
        return "stored_unconsumed", name

    def _returned_context(self, use: _Use) -> tuple[CallContext, str | None]:
        function = use.function
        name = function.name.value if isinstance(function, cst.FunctionDef) else None
        if self._result_consumed(use, 0, set()):
            return "stored_consumed", f"{name}()" if name else None
        return "returned", name

    def _in_async_function(self, node: cst.CSTNode) -> bool:
        function = self._enclosing_function(node)
        return isinstance(function, cst.FunctionDef) and function.asynchronous is not None

    # -- climbing from an expression to its use -----------------------------

    def _parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        tree = self.index.get(node)
        return tree.parents.get(node) if tree is not None else None

    def _enclosing_function(self, node: cst.CSTNode) -> cst.CSTNode | None:
        current = self._parent(node)
        while current is not None:
            if isinstance(current, (cst.FunctionDef, cst.Lambda)):
                return current
            current = self._parent(current)
        return None

    def _use(self, node: cst.CSTNode, level: int) -> _Use:
        child = node
        for _ in range(_MAX_CLIMB):
            parent = self._parent(child)
            if parent is None or level < 0:
                return _Use("value")
            if isinstance(parent, cst.Await):
                return _Use("await", level)
            if isinstance(parent, (cst.For, cst.CompFor)):
                return self._loop_use(parent, child, level)
            if isinstance(parent, (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp)):
                if child is not (
                    parent.value if isinstance(parent, cst.DictComp) else parent.elt
                ):
                    return _Use("value")
                level += 1
            elif isinstance(parent, (cst.List, cst.Tuple, cst.Set, cst.Dict)):
                level += 1
            elif isinstance(parent, (cst.StarredElement, cst.StarredDictElement)):
                level -= 1
            elif isinstance(parent, cst.DictElement):
                if child is not parent.value:
                    return _Use("value")
            elif isinstance(parent, cst.IfExp):
                if child is parent.test:
                    return _Use("value")
            elif isinstance(parent, cst.Subscript):
                if child is not parent.value or level == 0:
                    return _Use("value")
                level -= 1
            elif isinstance(parent, cst.From):
                level -= 1
            elif isinstance(parent, cst.Yield):
                return _Use("returned", level + 1, function=self._enclosing_function(parent))
            elif isinstance(parent, cst.NamedExpr):
                return self._named_expr_use(parent, level)
            elif isinstance(parent, cst.Arg):
                return self._arg_use(parent, level)
            elif isinstance(parent, cst.Attribute):
                return self._attribute_use(parent, child, level)
            elif isinstance(parent, (cst.Assign, cst.AnnAssign, cst.AugAssign)):
                return self._assignment_use(parent, child, level)
            elif isinstance(parent, cst.Return):
                return _Use("returned", level, function=self._enclosing_function(parent))
            elif isinstance(parent, cst.Lambda):
                return _Use("unknown")
            elif isinstance(parent, cst.Expr):
                return _Use("discarded", level)
            elif not isinstance(parent, (cst.Element, cst.BooleanOperation)):
                return _Use("value")
            child = parent
        return _Use("unknown")

    def _loop_use(self, loop: cst.For | cst.CompFor, child: cst.CSTNode, level: int) -> _Use:
        if child is not loop.iter:
            return _Use("value")
        kind: UseKind = "async_for" if loop.asynchronous is not None else "for"
        if level == 0:
            return _Use(kind, 0)
        scope: cst.CSTNode | None = loop
        if isinstance(loop, cst.CompFor):
            scope = self._comprehension_of(loop)
        else:
            scope = self._enclosing_function(loop) or loop
        holders = tuple(
            Holder(name, level - 1 + shift, scope) for name, shift in _target_names(loop.target)
        )
        return _Use(kind, level, holders) if holders else _Use("unknown")

    def _comprehension_of(self, node: cst.CompFor) -> cst.CSTNode:
        current: cst.CSTNode = node
        parent = self._parent(current)
        while isinstance(parent, cst.CompFor):
            current = parent
            parent = self._parent(current)
        return parent if parent is not None else current

    def _named_expr_use(self, node: cst.NamedExpr, level: int) -> _Use:
        outer = self._use(node, level)
        if outer.kind in _CONSUMING or (outer.kind in ("for", "async_for") and level == 0):
            return outer
        if not isinstance(node.target, cst.Name):
            return _Use("unknown")
        holder = Holder(node.target.value, level, self._enclosing_function(node))
        return _Use("stored", level, (holder, *outer.holders))

    def _assignment_use(
        self, node: cst.Assign | cst.AnnAssign | cst.AugAssign, child: cst.CSTNode, level: int
    ) -> _Use:
        if child is not node.value:
            return _Use("value")
        targets: list[cst.BaseExpression]
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        else:
            targets = [node.target]
        holders: list[Holder] = []
        for target in targets:
            found = self._holders_for_target(target, level)
            if found is None:
                return _Use("unknown")
            holders += found
        return _Use("stored", level, tuple(holders)) if holders else _Use("value")

    def _holders_for_target(self, target: cst.BaseExpression, level: int) -> list[Holder] | None:
        """Holders an assignment to ``target`` creates; None when the target is opaque."""
        scope = self._enclosing_function(target)
        if isinstance(target, cst.Name):
            return [Holder(target.value, level, scope)]
        holder = self._holder_of_receiver(target, level)
        if holder is not None:
            return [holder]
        if isinstance(target, cst.Subscript):
            inner = self._holder_of_receiver(target.value, level + 1)
            return [inner] if inner is not None else None
        if isinstance(target, (cst.Tuple, cst.List)):
            if level == 0:
                return []  # unpacking a coroutine: a plain value use
            return [Holder(n, level - 1 + s, scope) for n, s in _target_names(target)]
        return None

    def _holder_of_receiver(self, expr: cst.CSTNode, level: int) -> Holder | None:
        """The holder for a local name or ``self.<attr>`` expression, else None."""
        if isinstance(expr, cst.Name):
            return Holder(expr.value, level, self._enclosing_function(expr))
        tree = self.index.get(expr)
        if (
            tree is not None
            and isinstance(expr, cst.Attribute)
            and isinstance(expr.value, cst.Name)
            and expr.value.value == tree.self_name
        ):
            return Holder(expr.attr.value, level)
        return None

    def _attribute_use(self, node: cst.Attribute, child: cst.CSTNode, level: int) -> _Use:
        if child is not node.value or level == 0:
            return _Use("value")
        call = self._parent(node)
        if not isinstance(call, cst.Call) or call.func is not node:
            return _Use("value")
        method = node.attr.value
        if method in _VIEW_METHODS:
            return self._use(call, level)
        return _Use("value")  # xs.append(...) and friends store into xs: not a use

    def _arg_use(self, arg: cst.Arg, level: int) -> _Use:
        if arg.star == "**":
            return _Use("unknown")
        if arg.star == "*":
            level -= 1
        call = self._parent(arg)
        if not isinstance(call, cst.Call) or level < 0:
            return _Use("value")
        func = call.func
        if self._is_scheduling(func):
            return _Use("scheduled", level)
        if isinstance(func, cst.Attribute) and func.attr.value in (
            _ADDING_METHODS | _EXTENDING_METHODS
        ):
            shift = 1 if func.attr.value in _ADDING_METHODS else 0
            if arg.star:
                shift = 0
            holder = self._holder_of_receiver(func.value, level + shift)
            return _Use("stored", level, (holder,)) if holder is not None else _Use("unknown")
        if isinstance(func, cst.Name) and func.value in _VIEW_FUNCTIONS and level >= 1:
            return self._use(call, level)
        passed = self._passed_to_helper(call, arg, level)
        if passed is not None:
            return passed
        if self._is_dependency_call(call):
            return _Use("value")
        outer = self._use(call, 0)
        if outer.kind in ("await", "scheduled", "async_for"):
            # A wrapper we cannot see into, like ``await with_retries(coro)``: it most
            # likely awaits its argument.
            return _Use("unknown")
        return _Use("value")

    def _is_dependency_call(self, call: cst.Call) -> bool:
        func = call.func
        return (
            isinstance(func, cst.Attribute)
            and func.attr.value == RUN_REMOTE
            and self.dependency_of(func.value) is not None
        )

    def _is_scheduling(self, func: cst.BaseExpression) -> bool:
        if isinstance(func, cst.Attribute) and func.attr.value in _SCHEDULING_METHODS:
            return True
        name = dotted_name(func)
        tree = self.index.get(func)
        if name is None or tree is None:
            return False
        return tree.module.qualify(name) in _SCHEDULING_FUNCTIONS

    # -- helpers the result is handed to ------------------------------------

    def _passed_to_helper(self, call: cst.Call, arg: cst.Arg, level: int) -> _Use | None:
        resolved = self._helper_function(call.func)
        if resolved is None:
            return None
        function, skip_first = resolved
        param = _param_for_argument(function, skip_first, call, arg)
        if param is None:
            return _Use("unknown")
        return _Use("passed", level, (Holder(param, level, function),))

    def _helper_function(self, func: cst.BaseExpression) -> tuple[cst.FunctionDef, bool] | None:
        """The function a call goes to, when it is a method or local function we can see."""
        tree = self.index.get(func)
        if tree is None:
            return None
        if (
            isinstance(func, cst.Attribute)
            and isinstance(func.value, cst.Name)
            and func.value.value == tree.self_name
        ):
            method = self.methods.get(func.attr.value)
            if method is None or func.attr.value == RUN_REMOTE:
                return None
            return method.root, not _is_staticmethod(method.root)
        if not isinstance(func, cst.Name):
            return None
        nested = self._nested_function(func, func.value)
        if nested is not None:
            return nested, False
        module_function = tree.module.functions.get(func.value)
        if module_function is None:
            return None
        self._register(module_function.node, tree.module, None)
        return module_function.node, False

    def _nested_function(self, node: cst.CSTNode, name: str) -> cst.FunctionDef | None:
        """A ``def name`` inside one of the functions enclosing ``node``."""
        scope = self._enclosing_function(node)
        while scope is not None:
            tree = self.index.get(scope)
            if tree is None:
                return None
            for candidate in tree.functions:
                if (
                    candidate is not scope
                    and candidate.name.value == name
                    and self._enclosing_function(candidate) is scope
                ):
                    return candidate
            scope = self._enclosing_function(scope)
        return None

    # -- consumption --------------------------------------------------------

    def _consumed(self, use: _Use, depth: int, seen: set[tuple[str, int]]) -> bool:
        kind = use.kind
        if kind in _CONSUMING:
            return True
        if kind in ("for", "async_for"):
            if use.level == 0:
                return True
            return any(self._holder_consumed(h, depth + 1, seen) for h in use.holders)
        if kind in ("stored", "passed"):
            return any(self._holder_consumed(h, depth + 1, seen) for h in use.holders)
        if kind == "returned":
            return self._result_consumed(use, depth + 1, seen)
        return False

    def _holder_consumed(self, holder: Holder, depth: int, seen: set[tuple[str, int]]) -> bool:
        key = (holder.display, id(holder.scope))
        if depth > _MAX_DEPTH:
            return True
        cache_key = (holder.display, id(holder.scope), holder.level)
        cached = self._consumed_cache.get(cache_key)
        if cached is not None:
            return cached
        if key in seen:
            self._cycle_cuts += 1
            return False
        seen.add(key)
        cuts = self._cycle_cuts
        result = any(
            self._consumed(self._use(node, holder.level), depth, seen)
            for node in self._occurrences(holder)
        )
        # A "no" reached by cutting a cycle short is only valid inside that cycle.
        if result or cuts == self._cycle_cuts:
            self._consumed_cache[cache_key] = result
        return result

    def _occurrences(self, holder: Holder) -> Iterator[cst.CSTNode]:
        if holder.scope is not None:
            tree = self.index.get(holder.scope)
            if tree is None:
                return
            for name in list(tree.names.get(holder.name, [])):
                if not _is_binding(name, tree.parents) and self._inside(name, holder.scope):
                    yield name
            return
        for tree in list(self.trees):
            if tree.self_name is None:
                continue
            for attribute in list(tree.attributes.get(holder.name, [])):
                if (
                    isinstance(attribute.value, cst.Name)
                    and attribute.value.value == tree.self_name
                    and not _is_target(attribute, tree.parents)
                ):
                    yield attribute

    def _inside(self, node: cst.CSTNode, scope: cst.CSTNode) -> bool:
        current: cst.CSTNode | None = node
        while current is not None:
            if current is scope:
                return True
            current = self._parent(current)
        return False

    def _result_consumed(self, use: _Use, depth: int, seen: set[tuple[str, int]]) -> bool:
        """Whether what a function returns is consumed by the callers of that function."""
        function = use.function
        if not isinstance(function, cst.FunctionDef):
            return True  # a lambda, or code outside any function: cannot follow
        name = function.name.value
        tree = self.index.get(function)
        if tree is None:
            return True
        if tree.root is function and tree.method is not None:
            if name in (RUN_REMOTE, _INIT):
                return False  # handed to the framework
            sites = list(self._method_references(name))
        elif tree.root is function:
            return True  # a module-level function: callers are not followed
        else:
            sites = list(self._nested_references(function))
        if depth > _MAX_DEPTH or not sites:
            return True
        key = (f"{name}()", id(function))
        if key in seen:
            self._cycle_cuts += 1
            return False
        seen.add(key)
        is_coroutine = function.asynchronous is not None and not self._yields(function)
        for site in sites:
            call = self._parent(site)
            if not isinstance(call, cst.Call) or call.func is not site:
                return True  # the function itself is passed around: cannot follow
            if is_coroutine:
                # ``await helper()`` gives back what the helper returned.
                awaited = self._parent(call)
                if not isinstance(awaited, cst.Await):
                    if self._use(call, 0).kind in ("scheduled", "unknown"):
                        return True  # results of gathered helpers: not followed
                    continue
                call_use = self._use(awaited, use.level)
            else:
                call_use = self._use(call, use.level)
            if self._consumed(call_use, depth, seen):
                return True
        return False

    def _yields(self, function: cst.FunctionDef) -> bool:
        tree = self.index.get(function)
        if tree is None:
            return False
        return any(
            isinstance(node, cst.Yield) and self._enclosing_function(node) is function
            for node in tree.parents
        )

    def _method_references(self, name: str) -> Iterator[cst.CSTNode]:
        for tree in list(self.trees):
            if tree.self_name is None:
                continue
            for node in list(tree.attributes.get(name, [])):
                if isinstance(node.value, cst.Name) and node.value.value == tree.self_name:
                    yield node

    def _nested_references(self, function: cst.FunctionDef) -> Iterator[cst.CSTNode]:
        scope = self._enclosing_function(function)
        tree = self.index.get(function)
        if scope is None or tree is None:
            return
        for node in list(tree.names.get(function.name.value, [])):
            if not _is_binding(node, tree.parents) and self._inside(node, scope):
                yield node


def _self_attribute_store(tree: _Tree, node: cst.CSTNode) -> tuple[str, cst.CSTNode] | None:
    """``(attr, value)`` when ``node`` assigns ``self.<attr> = value``."""
    if tree.self_name is None:
        return None
    targets: list[cst.BaseExpression] = []
    value: cst.CSTNode | None = None
    if isinstance(node, cst.Assign):
        targets = [t.target for t in node.targets]
        value = node.value
    elif isinstance(node, (cst.AnnAssign, cst.AugAssign)) and node.value is not None:
        targets = [node.target]
        value = node.value
    for target in targets:
        if (
            isinstance(target, cst.Attribute)
            and isinstance(target.value, cst.Name)
            and target.value.value == tree.self_name
            and value is not None
        ):
            if isinstance(node, cst.AugAssign):
                return target.attr.value, node
            return target.attr.value, value
    return None


def _param_for_argument(
    function: cst.FunctionDef, skip_first: bool, call: cst.Call, arg: cst.Arg
) -> str | None:
    """The parameter of ``function`` that ``arg`` of ``call`` binds to, if clear."""
    params = function.params
    if arg.keyword is not None:
        named = (*params.posonly_params, *params.params, *params.kwonly_params)
        names = [p.name.value for p in named]
        return arg.keyword.value if arg.keyword.value in names else None
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    if skip_first:
        positional = positional[1:]
    index = 0
    for candidate in call.args:
        if candidate.star:
            return None
        if candidate is arg:
            return positional[index] if index < len(positional) else None
        if candidate.keyword is None:
            index += 1
    return None


def chainlet_methods(namespace: Namespace, chainlet: Chainlet) -> list[MethodInScope]:
    """The methods a chainlet instance has: its own, then the inherited ones."""
    lineage = [chainlet.cls] + [
        c for c in (namespace.find_class(q) for q in chainlet.chainlet_bases) if c is not None
    ]
    seen: set[str] = set()
    methods: list[MethodInScope] = []
    for cls in lineage:
        module = namespace.module_of(cls)
        for name, method in cls.methods.items():
            if name not in seen:
                seen.add(name)
                methods.append(MethodInScope(module, method))
    return methods


def find_dependency_calls(
    namespace: Namespace,
    methods: Sequence[MethodInScope],
    dependencies: Sequence[DependencyInfo],
) -> tuple[DependencyCall, ...]:
    """Every ``<dependency>.run_remote(...)`` in ``methods``, with how its result is used."""
    del namespace  # callee signatures are looked up by the rules, from the model
    if not dependencies:
        return ()
    try:
        return DependencyUseAnalyzer(methods, dependencies).calls()
    except RecursionError:  # absurdly nested code: report nothing rather than crash
        return ()
