"""Which expressions in a chainlet's methods refer to one of its dependencies.

A dependency is reached as ``self.<attr>`` (stored in ``__init__`` and never
reassigned), as the ``__init__`` parameter itself inside ``__init__``, or through
a local alias (``dep = self._dep``). This module also knows the functions the
analysis can see: the chainlet's methods, functions nested in them, and the
module-level functions they call (registered when first called).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import libcst as cst

from chains_lint.model.dependency_calls.function_index import FunctionIndex, function_index
from chains_lint.model.dependency_calls.syntax import (
    is_binding,
    is_self_attribute,
    is_staticmethod,
    is_target,
    self_attribute_store,
    self_name,
)
from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import DependencyInfo, MethodInScope

RUN_REMOTE = "run_remote"
INIT = "__init__"


@dataclass(frozen=True, eq=False)
class FunctionTree:
    """An indexed function and where it comes from."""

    index: FunctionIndex
    module: ModuleInfo
    method: str | None  # the chainlet method name, None for other functions
    self_name: str | None

    @property
    def root(self) -> cst.FunctionDef:
        return self.index.root


class DependencyReferences:
    """The functions of one chainlet the analysis sees, and the dependencies in them."""

    def __init__(
        self, methods: Sequence[MethodInScope], dependencies: Sequence[DependencyInfo]
    ) -> None:
        self.dependencies = tuple(dependencies)
        self.trees: list[FunctionTree] = []
        self.methods: dict[str, FunctionTree] = {}
        self._owner: dict[cst.CSTNode, FunctionTree] = {}
        for method in methods:
            tree = self.register(method.function.node, method.module, method.function.name)
            self.methods.setdefault(method.function.name, tree)
        self.attributes = self._dependency_attributes()
        self.init_params = self._init_params()
        self.aliases = {tree.root: self._aliases(tree) for tree in self.trees}

    # -- the functions ------------------------------------------------------

    def register(
        self, root: cst.FunctionDef, module: ModuleInfo, method: str | None
    ) -> FunctionTree:
        existing = self._owner.get(root)
        if existing is not None:
            return existing
        index = function_index(module, root)
        tree = FunctionTree(index, module, method, self_name(root) if method else None)
        self._owner.update(dict.fromkeys(index.nodes, tree))
        self.trees.append(tree)
        return tree

    def tree_of(self, node: cst.CSTNode) -> FunctionTree | None:
        return self._owner.get(node)

    def parent(self, node: cst.CSTNode) -> cst.CSTNode | None:
        tree = self._owner.get(node)
        return tree.index.parents.get(node) if tree is not None else None

    def enclosing_function(self, node: cst.CSTNode) -> cst.CSTNode | None:
        current = self.parent(node)
        while current is not None:
            if isinstance(current, (cst.FunctionDef, cst.Lambda)):
                return current
            current = self.parent(current)
        return None

    def inside(self, node: cst.CSTNode, scope: cst.CSTNode) -> bool:
        current: cst.CSTNode | None = node
        while current is not None:
            if current is scope:
                return True
            current = self.parent(current)
        return False

    def self_attributes(self, name: str) -> Iterator[tuple[FunctionTree, cst.Attribute]]:
        """Every ``self.<name>`` in the chainlet's methods."""
        for tree in list(self.trees):
            if tree.self_name is None:
                continue
            for attribute in list(tree.index.attributes.get(name, [])):
                if is_self_attribute(attribute, tree.self_name):
                    yield tree, attribute

    def helper_function(self, func: cst.BaseExpression) -> tuple[cst.FunctionDef, bool] | None:
        """The function a call goes to, when it is a method or local function we can see.

        The flag says whether the function takes ``self`` first.
        """
        tree = self._owner.get(func)
        if tree is None:
            return None
        if is_self_attribute(func, tree.self_name):
            assert isinstance(func, cst.Attribute)
            method = self.methods.get(func.attr.value)
            if method is None or func.attr.value == RUN_REMOTE:
                return None
            return method.root, not is_staticmethod(method.root)
        if not isinstance(func, cst.Name):
            return None
        nested = self._nested_function(func, func.value)
        if nested is not None:
            return nested, False
        module_function = tree.module.functions.get(func.value)
        if module_function is None:
            return None
        self.register(module_function.node, tree.module, None)
        return module_function.node, False

    def _nested_function(self, node: cst.CSTNode, name: str) -> cst.FunctionDef | None:
        """A ``def name`` inside one of the functions enclosing ``node``."""
        scope = self.enclosing_function(node)
        while scope is not None:
            tree = self._owner.get(scope)
            if tree is None:
                return None
            for candidate in tree.index.functions:
                if (
                    candidate is not scope
                    and candidate.name.value == name
                    and self.enclosing_function(candidate) is scope
                ):
                    return candidate
            scope = self.enclosing_function(scope)
        return None

    # -- the dependencies ---------------------------------------------------

    def _dependency_attributes(self) -> dict[str, DependencyInfo]:
        """``self.<attr>`` names that hold a dependency and nothing else."""
        attributes = {a: d for d in self.dependencies for a in d.attributes}
        for tree in self.trees:
            for node in tree.index.assignments:
                assigned = self_attribute_store(node, tree.self_name)
                if assigned is None or assigned[0] not in attributes:
                    continue
                attr, value = assigned
                param = attributes[attr].param.name
                from_param = (
                    tree.method == INIT and isinstance(value, cst.Name) and value.value == param
                )
                if not from_param:
                    del attributes[attr]
        return attributes

    def _init_params(self) -> dict[str, DependencyInfo]:
        init = self.methods.get(INIT)
        if init is None:
            return {}
        params = {d.param.name: d for d in self.dependencies}
        parents = init.index.parents
        for name in list(params):
            if any(is_target(node, parents) for node in init.index.names.get(name, [])):
                del params[name]  # rebound: no longer the dependency everywhere
        return params

    def _aliases(self, tree: FunctionTree) -> dict[str, DependencyInfo]:
        """Local names bound only to one dependency (``dep = self._dep``)."""
        parents = tree.index.parents
        candidates: dict[str, DependencyInfo | None] = {}
        bindings = (
            node
            for nodes in tree.index.names.values()
            for node in nodes
            if is_binding(node, parents)
        )
        for node in bindings:
            parent = parents.get(node)
            found: DependencyInfo | None = None
            if isinstance(parent, cst.AssignTarget):
                assign = parents.get(parent)
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

    def _direct_dependency(
        self, expr: cst.CSTNode, tree: FunctionTree
    ) -> DependencyInfo | None:
        if is_self_attribute(expr, tree.self_name):
            assert isinstance(expr, cst.Attribute)
            return self.attributes.get(expr.attr.value)
        if isinstance(expr, cst.Name) and tree.method == INIT:
            return self.init_params.get(expr.value)
        return None

    def dependency_of(self, expr: cst.CSTNode) -> DependencyInfo | None:
        """The dependency ``expr`` refers to, if it is one."""
        tree = self._owner.get(expr)
        if tree is None:
            return None
        direct = self._direct_dependency(expr, tree)
        if direct is not None:
            return direct
        if isinstance(expr, cst.Name) and not is_binding(expr, tree.index.parents):
            return self.aliases.get(tree.root, {}).get(expr.value)
        return None

    def is_dependency_call(self, node: cst.CSTNode) -> bool:
        """True for ``<dependency>.run_remote(...)``."""
        return (
            isinstance(node, cst.Call)
            and isinstance(node.func, cst.Attribute)
            and node.func.attr.value == RUN_REMOTE
            and self.dependency_of(node.func.value) is not None
        )
