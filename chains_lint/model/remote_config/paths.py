"""Path values: ``make_abs_path_here("x")`` or a plain string, made absolute as truss does."""

from __future__ import annotations

import os.path

from chains_lint.model import sdk
from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.remote_config.calls import Located, call_symbol, resolve


def abs_path_argument(namespace: Namespace, located: Located) -> Located | None:
    """The argument of a ``make_abs_path_here(...)`` call, or None for anything else."""
    value = located.value
    call = value.call
    if call is None or call_symbol(namespace, value) != sdk.MAKE_ABS_PATH_HERE:
        return None
    argument = call.args[0] if call.args else call.kwarg("file_path")
    if argument is None:
        return None
    return resolve(namespace, located.module, argument)


def resolve_path(namespace: Namespace, located: Located) -> str | None:
    """The absolute path a path value stands for: ``make_abs_path_here("x")`` or ``"x"``.

    Relative paths are resolved against the folder of the file the expression is
    written in. None when the value is not a literal path.
    """
    inner = abs_path_argument(namespace, located)
    target = inner if inner is not None else located
    if call_symbol(namespace, located.value) is not None and inner is None:
        return None
    literal = target.value.literal
    if not isinstance(literal, str):
        return None
    # make_abs_path_here resolves against the file the call is written in.
    return absolute_path(located.module, literal)


def absolute_path(module: ModuleInfo, path: str) -> str:
    """``path`` made absolute against the folder of ``module``'s file (as make_abs_path_here)."""
    if os.path.isabs(path):
        return path
    folder = os.path.dirname(os.path.abspath(module.path))
    return os.path.normpath(os.path.join(folder, path))
