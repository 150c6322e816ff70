"""The ``remote_config`` calls of the linted module's chainlets, and their arguments.

Every rule of the group asks for them for every linted file; they are read once per
module of a model.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from weakref import WeakKeyDictionary

from chains_lint.diagnostics import Span
from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.remote_config.calls import ConfigCall, Located, config_calls, resolve
from chains_lint.model.remote_config.constructors import DIR_FIELDS, FILE_FIELDS
from chains_lint.model.types import Chainlet, ChainModel, StaticValue
from chains_lint.rules.base import RuleContext

# A constructor call and its arguments for known parameters, resolved, by parameter name.
CallArguments = tuple[ConfigCall, dict[str, Located]]


@dataclass
class _ModuleCalls:
    """The calls in one module's own configs: all of them, outermost first, and by symbol."""

    calls: list[CallArguments] = field(default_factory=list)
    by_symbol: dict[str, list[CallArguments]] = field(default_factory=dict)


_CALLS: WeakKeyDictionary[ChainModel, dict[ModuleInfo, _ModuleCalls]] = WeakKeyDictionary()


def own_configs(ctx: RuleContext) -> Iterator[tuple[Chainlet, StaticValue]]:
    """Chainlets of the linted module that define ``remote_config`` themselves."""
    for chainlet in ctx.chainlets:
        config = chainlet.remote_config
        if config.value is not None and config.owner == chainlet.qualified:
            yield chainlet, config.value


def all_calls(ctx: RuleContext) -> list[CallArguments]:
    """Every constructor call in the linted module's own configs, outermost first."""
    return _module_calls(ctx).calls


def calls_of(ctx: RuleContext, symbol: str) -> list[CallArguments]:
    """Each ``symbol(...)`` call with its known arguments."""
    return _module_calls(ctx).by_symbol.get(symbol, [])


def _module_calls(ctx: RuleContext) -> _ModuleCalls:
    by_module = _CALLS.get(ctx.model)
    if by_module is None:
        by_module = _CALLS[ctx.model] = {}
    found = by_module.get(ctx.module)
    if found is None:
        found = by_module[ctx.module] = _read_module_calls(ctx)
    return found


def _read_module_calls(ctx: RuleContext) -> _ModuleCalls:
    namespace = ctx.model.namespace
    found = _ModuleCalls()
    for chainlet, value in own_configs(ctx):
        for call in config_calls(namespace, chainlet.module, value):
            entry = (call, _resolved_arguments(namespace, call))
            found.calls.append(entry)
            found.by_symbol.setdefault(call.symbol, []).append(entry)
    return found


def _resolved_arguments(namespace: Namespace, call: ConfigCall) -> dict[str, Located]:
    return {
        name: resolve(namespace, call.module, value)
        for name, value in call.arguments()
        if name in call.parameters
    }


def written(call: ConfigCall, name: str) -> StaticValue:
    """The argument for parameter ``name`` as written in ``call`` (it must be given)."""
    value = call.argument(name)
    assert value is not None
    return value


def located_span(written: StaticValue, located: Located) -> Span:
    """Where to point for a value: the literal itself when it is in the same file."""
    if located.value.span.path == written.span.path:
        return located.value.span
    return written.span


def is_unset(located: Located) -> bool:
    """``None``, or ``""`` which truss treats the same for gpu and instance_type."""
    return located.value.is_literal and located.value.literal in (None, "")


@dataclass(frozen=True)
class Argument:
    """One given argument of a config call: as written, and resolved."""

    call: ConfigCall
    name: str
    written: StaticValue
    located: Located

    @property
    def literal(self) -> object:
        return self.located.value.literal

    @property
    def span(self) -> Span:
        return located_span(self.written, self.located)


def argument(call: ConfigCall, arguments: dict[str, Located], name: str) -> Argument | None:
    """The argument for ``name`` of ``call`` (with its ``arguments``), or None when not given."""
    located = arguments.get(name)
    return None if located is None else Argument(call, name, written(call, name), located)


def arguments_named(ctx: RuleContext, symbol: str, name: str) -> Iterator[Argument]:
    """The argument for ``name`` of each ``symbol(...)`` call that is given one."""
    for call, arguments in calls_of(ctx, symbol):
        found = argument(call, arguments, name)
        if found is not None:
            yield found


def literal_arguments(ctx: RuleContext, symbol: str, name: str) -> Iterator[Argument]:
    """Like :func:`arguments_named`, only the arguments that are literals."""
    for argument in arguments_named(ctx, symbol, name):
        if argument.located.value.is_literal:
            yield argument


def list_items(
    namespace: Namespace, located: Located
) -> Iterator[tuple[int, StaticValue, Located]]:
    """Index, expression and resolved value of each item of a list (or tuple) display."""
    for index, element in enumerate(located.value.elements or ()):
        yield index, element, resolve(namespace, located.module, element)


@dataclass(frozen=True)
class PathArgument:
    """A path given to ``DockerImage``: a path field, or an item of external_package_dirs."""

    name: str
    written: StaticValue  # the argument, or the list item
    located: Located
    in_list: bool


def path_arguments(
    namespace: Namespace, call: ConfigCall, arguments: dict[str, Located]
) -> Iterator[PathArgument]:
    """The paths among the arguments of a ``DockerImage(...)`` call, in field order."""
    for name in (*FILE_FIELDS, *DIR_FIELDS):
        located = arguments.get(name)
        if located is not None:
            yield PathArgument(name, written(call, name), located, in_list=False)
    dirs = arguments.get("external_package_dirs")
    if dirs is None:
        return
    for _, element, item in list_items(namespace, dirs):
        yield PathArgument("external_package_dirs", element, item, in_list=True)
