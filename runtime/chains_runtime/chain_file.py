"""A chain file as Python sees it: importing it, and finding its chainlet classes.

Shared by the chainlet process (``chains_runtime.serve``) and ``chains-run``
(``chains_runtime.run.discovery``), so neither reaches into the other's package.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import traceback
from pathlib import Path
from types import ModuleType

import pydantic

from chains_runtime import import_alias
from chains_runtime.chainlet import ChainletBase
from chains_runtime.errors import ChainsUsageError
from chains_runtime.wiring import dependency_markers


class ChainFileError(ChainsUsageError):
    """The chain file is missing, cannot be imported, or does not define a runnable chain."""


def load_module(location: str) -> ModuleType:
    """Import a chain file (``path/to/chain.py``, its folder put on ``sys.path``) or a module.

    The ``truss_chains`` alias is installed first, so files written for truss import as they are.
    """
    import_alias.install()
    path = Path(location)
    if not (location.endswith(".py") or path.is_file()):
        try:
            return importlib.import_module(location)
        except Exception as exc:
            message = f"importing module {location!r} failed: {_describe(exc)}"
            raise ChainFileError(message) from None
    resolved = path.resolve()
    if not resolved.is_file():
        raise ChainFileError(f"chain file {location!r} does not exist")
    name = resolved.stem
    existing = sys.modules.get(name)
    if existing is not None:
        existing_file = getattr(existing, "__file__", None)
        if existing_file is not None and Path(existing_file).resolve() == resolved:
            return existing
        raise ChainFileError(
            f"the chain file {location!r} would be imported as module `{name}`, which is "
            "already the name of another imported module; rename the file"
        )
    folder = str(resolved.parent)
    if folder not in sys.path:
        sys.path.insert(0, folder)
    spec = importlib.util.spec_from_file_location(name, resolved)
    if spec is None or spec.loader is None:
        raise ChainFileError(f"cannot import {location!r} as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (Exception, SystemExit) as exc:
        del sys.modules[name]
        raise ChainFileError(f"importing {location!r} failed: {_describe(exc)}") from None
    return module


def _describe(exc: BaseException) -> str:
    """``Type: message (file, line N)``, located in the innermost frame (or the syntax error);
    one line, for a pydantic validation error (a bad ``ChainletOptions(...)``...) too, located
    where the model was built."""
    text = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SyntaxError) and exc.filename:
        return f"{type(exc).__name__}: {exc.msg} ({exc.filename}, line {exc.lineno})"
    frames: list[traceback.FrameSummary] = traceback.extract_tb(exc.__traceback__)
    if isinstance(exc, pydantic.ValidationError):
        problems = (
            f"{'.'.join(map(str, error['loc'])) or 'value'}: {error['msg']}, got {error['input']!r}"
            for error in exc.errors(include_url=False)
        )
        text = f"{type(exc).__name__}: invalid {exc.title}: {'; '.join(problems)}"
        library = Path(pydantic.__file__).parent
        frames = [frame for frame in frames if library not in Path(frame.filename).parents]
    if isinstance(exc, ChainsUsageError):  # the runtime refusing the chain file: located there
        runtime = Path(__file__).parent
        frames = [
            frame
            for frame in frames
            if runtime not in Path(frame.filename).parents and not frame.filename.startswith("<")
        ]
    if frames:
        # After the first line: a multi-line message (an example to follow) stays readable.
        first, newline, rest = text.partition("\n")
        text = f"{first} ({frames[-1].filename}, line {frames[-1].lineno}){newline}{rest}"
    return text


def visible_chainlets(module: ModuleType) -> list[type[ChainletBase]]:
    """The concrete chainlet classes a module defines or imports, in the module's order."""
    found: dict[int, type[ChainletBase]] = {}
    for value in vars(module).values():
        if (
            isinstance(value, type)
            and issubclass(value, ChainletBase)
            and value is not ChainletBase
            and not inspect.isabstract(value)
        ):
            found.setdefault(id(value), value)
    return list(found.values())


def find_chainlet(module: ModuleType, name: str) -> type[ChainletBase] | None:
    """The chainlet class called ``name`` in the module or in a chain it defines."""
    for root in visible_chainlets(module):
        for cls in reachable(root):
            if cls.__name__ == name:
                return cls
    return None


def direct_dependencies(chainlet_cls: type[ChainletBase]) -> tuple[type[ChainletBase], ...]:
    """The chainlets ``chainlet_cls`` declares with ``depends(...)``, each once."""
    found: dict[int, type[ChainletBase]] = {}
    for marker in dependency_markers(chainlet_cls).values():
        found.setdefault(id(marker.chainlet_cls), marker.chainlet_cls)
    return tuple(found.values())


def reachable(root: type[ChainletBase]) -> list[type[ChainletBase]]:
    """``root`` and every chainlet reachable from it, breadth first, each once."""
    order = [root]
    for cls in order:  # grows while iterating
        for dependency in direct_dependencies(cls):
            if dependency not in order:
                order.append(dependency)
    return order
