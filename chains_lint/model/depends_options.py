"""The options of a ``depends()`` call: their names, defaults and the values given."""

from __future__ import annotations

from chains_lint.model import sdk_tables
from chains_lint.model.types import DependencyInfo, LiteralValue, StaticValue

# The options of ``depends(chainlet_cls, retries, timeout_sec, use_binary, concurrency_limit)``
# that truss takes too, in positional order, with their defaults: the runtime's signature.
TRUSS_OPTION_DEFAULTS: dict[str, LiteralValue] = dict(sdk_tables.DEPENDS_POSITIONAL_OPTIONS)
OPTION_NAMES: tuple[str, ...] = tuple(TRUSS_OPTION_DEFAULTS)
"""The positional options (truss's)."""
# Keyword-only options of chains_runtime's ``depends()`` that truss does not take: the
# largest answer and the largest stream frame a call reads.
RUNTIME_OPTION_DEFAULTS: dict[str, LiteralValue] = dict(sdk_tables.DEPENDS_KEYWORD_ONLY_OPTIONS)
OPTION_DEFAULTS: dict[str, LiteralValue] = {**TRUSS_OPTION_DEFAULTS, **RUNTIME_OPTION_DEFAULTS}
TARGET_KEYWORD = sdk_tables.DEPENDS_TARGET


def option_values(dependency: DependencyInfo) -> list[tuple[str, StaticValue]]:
    """The known options of a ``depends()`` call, given by keyword or by position."""
    values = list(zip(OPTION_NAMES, positional_options(dependency), strict=False))
    values += [(k, v) for k, v in dependency.options if k in OPTION_DEFAULTS]
    return values


def positional_options(dependency: DependencyInfo) -> tuple[StaticValue, ...]:
    """The positional arguments of the ``depends()`` call after the chainlet class."""
    args = dependency.call.args
    if args and dependency.target is args[0]:
        return args[1:]
    return args
