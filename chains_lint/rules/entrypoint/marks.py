"""Finding ``@mark_entrypoint`` on the classes and functions of the linted module."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.model import sdk
from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import ClassInfo, Decorator, FunctionInfo
from chains_lint.rules.base import RuleContext


def entrypoint_decorators(ctx: RuleContext, decorators: tuple[Decorator, ...]) -> list[Decorator]:
    """The ``@mark_entrypoint`` decorators among ``decorators``."""
    namespace = ctx.model.namespace
    return [d for d in decorators if namespace.sdk_symbol(d.qualified) == sdk.MARK_ENTRYPOINT]


def module_entrypoint_decorators(ctx: RuleContext) -> Iterator[Decorator]:
    """Every ``@mark_entrypoint`` in the linted module, on classes, functions and methods."""
    for cls in ctx.module.all_classes():
        yield from entrypoint_decorators(ctx, cls.decorators)
    for _, function in module_functions(ctx.module):
        yield from entrypoint_decorators(ctx, function.decorators)


def module_functions(module: ModuleInfo) -> Iterator[tuple[ClassInfo | None, FunctionInfo]]:
    """Functions and methods of ``module``, each with its class (None for a function)."""
    for function in module.functions.values():
        yield None, function
    for cls in module.all_classes():
        for method in cls.methods.values():
            yield cls, method
