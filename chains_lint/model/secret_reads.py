"""Finding the secret keys a chainlet reads from ``context.secrets``.

The deployment context is the ``__init__`` parameter defaulting to
``depends_context()``. It reaches ``context.secrets`` directly in ``__init__``,
through ``self.<attr>`` when ``__init__`` stores it (``self._context = context``),
and through aliases of the secrets mapping itself (``secrets = context.secrets``,
``self._secrets = context.secrets``), which may then be used in any method.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import libcst as cst

from chains_lint.model.dependency_calls.function_index import FunctionIndex, function_index
from chains_lint.model.dependency_calls.syntax import is_self_attribute, self_name
from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import MethodInScope, Param, SecretAccess, SecretRead
from chains_lint.model.values import read_value

_INIT = "__init__"
_SECRETS = "secrets"
_MAX_PASSES = 4


@dataclass(eq=False)
class _Method:
    name: str
    module: ModuleInfo
    index: FunctionIndex
    self_name: str | None
    context_aliases: set[str] = field(default_factory=set)
    secrets_aliases: set[str] = field(default_factory=set)


def _assignments(method: _Method) -> Iterator[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """``(target, value)`` for every simple assignment in the method."""
    for node in method.index.assignments:
        if isinstance(node, cst.Assign):
            for target in node.targets:
                yield target.target, node.value
        elif isinstance(node, cst.AnnAssign) and node.value is not None:
            yield node.target, node.value


class _SecretReadFinder:
    def __init__(self, methods: Sequence[MethodInScope], context_name: str) -> None:
        self.context_name = context_name
        self.methods: list[_Method] = []
        for scoped in methods:
            node = scoped.function.node
            index = function_index(scoped.module, node)
            method = _Method(scoped.function.name, scoped.module, index, self_name(node))
            self.methods.append(method)
        self.context_attributes: set[str] = set()
        self.secrets_attributes: set[str] = set()
        self._resolve_holders()

    # -- what refers to the context and to its secrets ----------------------

    def _resolve_holders(self) -> None:
        for _ in range(_MAX_PASSES):
            before = self._holder_count()
            for method in self.methods:
                self._collect_holders(method)
            if self._holder_count() == before:
                return

    def _holder_count(self) -> int:
        aliases = sum(len(m.context_aliases) + len(m.secrets_aliases) for m in self.methods)
        return len(self.context_attributes) + len(self.secrets_attributes) + aliases

    def _collect_holders(self, method: _Method) -> None:
        for target, value in _assignments(method):
            is_context = self._is_context(value, method)
            is_secrets = self._is_secrets(value, method)
            if not (is_context or is_secrets):
                continue
            if isinstance(target, cst.Name):
                aliases = method.context_aliases if is_context else method.secrets_aliases
                aliases.add(target.value)
            elif is_self_attribute(target, method.self_name) and isinstance(target, cst.Attribute):
                attributes = self.context_attributes if is_context else self.secrets_attributes
                attributes.add(target.attr.value)

    def _is_context(self, node: cst.BaseExpression, method: _Method) -> bool:
        if isinstance(node, cst.Name):
            if method.name == _INIT and node.value == self.context_name:
                return True
            return node.value in method.context_aliases
        if is_self_attribute(node, method.self_name) and isinstance(node, cst.Attribute):
            return node.attr.value in self.context_attributes
        return False

    def _is_secrets(self, node: cst.BaseExpression, method: _Method) -> bool:
        if (
            isinstance(node, cst.Attribute)
            and node.attr.value == _SECRETS
            and self._is_context(node.value, method)
        ):
            return True
        if isinstance(node, cst.Name):
            return node.value in method.secrets_aliases
        if is_self_attribute(node, method.self_name) and isinstance(node, cst.Attribute):
            return node.attr.value in self.secrets_attributes
        return False

    # -- reads --------------------------------------------------------------

    def reads(self) -> tuple[SecretRead, ...]:
        found: list[SecretRead] = []
        for method in self.methods:
            for node in method.index.nodes:
                read = self._read(node, method)
                if read is not None:
                    found.append(read)
        return tuple(found)

    def _read(self, node: cst.CSTNode, method: _Method) -> SecretRead | None:
        if isinstance(node, cst.Subscript) and self._is_secrets(node.value, method):
            if len(node.slice) != 1 or not isinstance(node.slice[0].slice, cst.Index):
                return None
            if isinstance(method.index.parents.get(node), (cst.AssignTarget, cst.Del)):
                return None  # writing to the mapping is not a read
            return self._make(node.slice[0].slice.value, "subscript", method)
        if isinstance(node, cst.Call):
            func = node.func
            if (
                isinstance(func, cst.Attribute)
                and func.attr.value == "get"
                and self._is_secrets(func.value, method)
                and node.args
                and not node.args[0].star
            ):
                return self._make(node.args[0].value, "get", method)
        if isinstance(node, cst.Comparison):
            left = node.left
            for comparison in node.comparisons:
                if isinstance(comparison.operator, (cst.In, cst.NotIn)) and self._is_secrets(
                    comparison.comparator, method
                ):
                    return self._make(left, "in", method)
                left = comparison.comparator
        return None

    def _make(self, key: cst.BaseExpression, access: SecretAccess, method: _Method) -> SecretRead:
        literal = read_value(method.module, key).literal
        return SecretRead(
            key=literal if isinstance(literal, str) else None,
            access=access,
            span=method.module.span_of(key),
            method=method.name,
        )


def find_secret_reads(
    methods: Sequence[MethodInScope], context_param: Param | None
) -> tuple[SecretRead, ...]:
    """Every read of ``context.secrets`` in the chainlet's methods."""
    if context_param is None:
        return ()
    try:
        return _SecretReadFinder(methods, context_param.name).reads()
    except RecursionError:  # absurdly nested code: report nothing rather than crash
        return ()
