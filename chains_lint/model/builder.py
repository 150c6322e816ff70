"""Building chainlets and chains from the loaded modules."""

from __future__ import annotations

from collections import deque
from pathlib import Path

import libcst as cst

from chains_lint.model import sdk
from chains_lint.model.dependency_calls import find_dependency_calls
from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.remote_config import read_remote_config
from chains_lint.model.secret_reads import find_secret_reads
from chains_lint.model.types import (
    Chain,
    Chainlet,
    ChainModel,
    ClassInfo,
    DependencyInfo,
    EntrypointMark,
    FunctionInfo,
    MethodInScope,
    Param,
    RemoteConfigModel,
)
from chains_lint.model.walk import walk

_MAX_BASE_DEPTH = 32
_SDK_BASES = frozenset({sdk.CHAINLET_BASE, sdk.MODEL_BASE})


def build_model(
    modules: dict[str, ModuleInfo], linted_paths: tuple[Path, ...]
) -> ChainModel:
    namespace = Namespace(modules)
    builder = _ChainletBuilder(namespace)
    chainlets: dict[str, Chainlet] = {}
    for module in modules.values():
        for cls in module.classes.values():
            chainlet = builder.chainlet(cls)
            if chainlet is not None:
                chainlets[cls.qualified] = chainlet
    model = ChainModel(modules, chainlets, [], linted_paths, namespace)
    model.chains = _find_chains(model)
    return model


def chainlet_bases(namespace: Namespace, cls: ClassInfo) -> tuple[str, ...] | None:
    """Qualified names of the chainlet classes ``cls`` derives from (nearest first).

    Returns None when ``cls`` is not a chainlet, ``()`` when it derives from
    ``ChainletBase`` (or ``ModelBase``) directly.
    """
    return _chainlet_bases(namespace, cls, 0, set())


def _chainlet_bases(
    namespace: Namespace, cls: ClassInfo, depth: int, seen: set[str]
) -> tuple[str, ...] | None:
    if depth > _MAX_BASE_DEPTH or cls.qualified in seen:
        return None
    seen = seen | {cls.qualified}
    for base in cls.bases:
        qualified = base.qualified_name
        if namespace.sdk_symbol(qualified) in _SDK_BASES:
            return ()
        parent = namespace.find_class(qualified)
        if parent is None:
            continue
        above = _chainlet_bases(namespace, parent, depth + 1, seen)
        if above is not None:
            return (parent.qualified, *above)
    return None


class _ChainletBuilder:
    def __init__(self, namespace: Namespace) -> None:
        self.namespace = namespace

    def chainlet(self, cls: ClassInfo) -> Chainlet | None:
        bases = chainlet_bases(self.namespace, cls)
        if bases is None:
            return None
        module = self.namespace.module_of(cls)
        lineage = [cls] + [c for c in (self.namespace.find_class(q) for q in bases) if c]
        model = _is_model(self.namespace, lineage)
        endpoint = sdk.MODEL_ENDPOINT if model else "run_remote"
        run_remote, run_remote_owner = _inherited_method(lineage, endpoint)
        init, init_owner = _inherited_method(lineage, "__init__")
        init_module = self.namespace.modules[init_owner.module_name] if init_owner else module
        dependencies: tuple[DependencyInfo, ...] = ()
        context_param: Param | None = None
        if init is not None:
            dependencies = self._dependencies(init_module, init)
            context_param = self._context_param(init)
        remote_config = self._remote_config(lineage)
        methods = _effective_methods(self.namespace, lineage)
        uses = find_dependency_calls(self.namespace, methods, dependencies)
        return Chainlet(
            cls=cls,
            module=module,
            chainlet_bases=bases,
            run_remote=run_remote,
            run_remote_owner=run_remote_owner.qualified if run_remote_owner else None,
            init=init,
            dependencies=dependencies,
            context_param=context_param,
            secret_reads=find_secret_reads(methods, context_param),
            dependency_calls=uses.calls,
            remote_config=remote_config,
            entrypoint=self._entrypoint(cls),
            dependency_members=uses.members,
            is_model=model,
        )

    def _dependencies(self, module: ModuleInfo, init: FunctionInfo) -> tuple[DependencyInfo, ...]:
        result: list[DependencyInfo] = []
        attributes = _self_assignments(init)
        for param in init.params:
            call = param.default.call if param.default is not None else None
            if call is None or self.namespace.sdk_symbol(call.callee) != sdk.DEPENDS:
                continue
            target = call.args[0] if call.args else call.kwarg("chainlet_cls")
            options = tuple((k, v) for k, v in call.kwargs if k != "chainlet_cls")
            target_qualified = None
            if target is not None and target.qualified_name is not None:
                target_qualified = self.namespace.canonical(target.qualified_name)
            assert param.default is not None
            result.append(
                DependencyInfo(
                    param=param,
                    target=target,
                    target_qualified=target_qualified,
                    options=options,
                    call=call,
                    span=param.default.span,
                    attributes=tuple(a for a, v in attributes if v == param.name),
                )
            )
        return tuple(result)

    def _context_param(self, init: FunctionInfo) -> Param | None:
        for param in init.params:
            call = param.default.call if param.default is not None else None
            if call is not None and self.namespace.sdk_symbol(call.callee) == sdk.DEPENDS_CONTEXT:
                return param
        return None

    def _entrypoint(self, cls: ClassInfo) -> EntrypointMark | None:
        for decorator in cls.decorators:
            if self.namespace.sdk_symbol(decorator.qualified) != sdk.MARK_ENTRYPOINT:
                continue
            name = None
            if decorator.call is not None and decorator.call.args:
                literal = decorator.call.args[0].literal
                name = literal if isinstance(literal, str) else None
            return EntrypointMark(decorator, name)
        return None

    def _remote_config(self, lineage: list[ClassInfo]) -> RemoteConfigModel:
        for cls in lineage:
            value = cls.attributes.get("remote_config")
            if value is not None:
                module = self.namespace.module_of(cls)
                return read_remote_config(self.namespace, module, value, cls.qualified)
        return RemoteConfigModel()


def _is_model(namespace: Namespace, lineage: list[ClassInfo]) -> bool:
    """True when the chainlet derives from ``ModelBase``: its endpoint is ``predict``."""
    top = lineage[-1]
    return any(namespace.sdk_symbol(base.qualified_name) == sdk.MODEL_BASE for base in top.bases)


def _inherited_method(
    lineage: list[ClassInfo], name: str
) -> tuple[FunctionInfo | None, ClassInfo | None]:
    for cls in lineage:
        method = cls.methods.get(name)
        if method is not None:
            return method, cls
    return None, None


def _effective_methods(namespace: Namespace, lineage: list[ClassInfo]) -> list[MethodInScope]:
    """The methods a chainlet instance has: its own, then those it inherits."""
    seen: set[str] = set()
    methods: list[MethodInScope] = []
    for cls in lineage:
        module = namespace.module_of(cls)
        for name, method in cls.methods.items():
            if name not in seen:
                seen.add(name)
                methods.append(MethodInScope(module, method))
    return methods


def _self_assignments(method: FunctionInfo) -> list[tuple[str, str]]:
    """``(attr, name)`` for every ``self.attr = name`` in the method body."""
    if not method.params:
        return []
    self_name = method.params[0].name
    found: list[tuple[str, str]] = []
    for node in walk(method.node.body):
        if isinstance(node, cst.Assign):
            targets = [t.target for t in node.targets]
        elif isinstance(node, cst.AnnAssign):
            targets = [node.target]
        else:
            continue
        if not isinstance(node.value, cst.Name):
            continue
        for target in targets:
            if (
                isinstance(target, cst.Attribute)
                and isinstance(target.value, cst.Name)
                and target.value.value == self_name
            ):
                found.append((target.attr.value, node.value.value))
    return found


def _find_chains(model: ChainModel) -> list[Chain]:
    chains: list[Chain] = []
    linted = set(model.linted_paths)
    for module in model.modules.values():
        if module.path not in linted:
            continue
        own = model.chainlets_in(module)
        # A model is its own entrypoint, as truss marks every ModelBase.
        marked = [c for c in own if c.entrypoint is not None or c.is_model]
        implicit = not marked and len(own) == 1
        entries = marked or (own if implicit else [])
        for entry in entries:
            chains.append(
                Chain(
                    path=module.path,
                    entrypoint=entry,
                    name=entry.entrypoint.chain_name if entry.entrypoint else None,
                    chainlets=_reachable(model, entry),
                    implicit_entrypoint=implicit,
                )
            )
    return chains


def _reachable(model: ChainModel, entry: Chainlet) -> tuple[Chainlet, ...]:
    order: list[Chainlet] = []
    seen: set[str] = set()
    queue: deque[Chainlet] = deque([entry])
    while queue:
        chainlet = queue.popleft()
        if chainlet.qualified in seen:
            continue
        seen.add(chainlet.qualified)
        order.append(chainlet)
        for dep in chainlet.dependencies:
            target = model.chainlet_for(dep.target_qualified)
            if target is not None and target.qualified not in seen:
                queue.append(target)
    return tuple(order)
