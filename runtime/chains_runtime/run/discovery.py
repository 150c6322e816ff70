"""Find a chain by importing its file: the entrypoint and every chainlet it reaches.

The chain is read from the live classes, not from the source text: the entrypoint is the
chainlet marked with ``mark_entrypoint`` (or the only one, or the one named), and its chain is
every chainlet reachable from it through ``depends(...)`` defaults of ``__init__``.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pydantic

from chains_runtime import import_alias
from chains_runtime.chainlet import ChainletBase
from chains_runtime.errors import ChainsUsageError
from chains_runtime.markers import entrypoint_info
from chains_runtime.server.signature import RunRemoteSpec
from chains_runtime.wiring import dependency_markers


class ChainFileError(ChainsUsageError):
    """The chain file is missing, cannot be imported, or does not define a runnable chain."""


@dataclass(frozen=True)
class Chain:
    """A chain as found in its file: every chainlet before the ones it calls (so the
    entrypoint first), each once."""

    file: Path
    entrypoint: type[ChainletBase]
    chainlets: tuple[type[ChainletBase], ...]

    def dependencies(self, chainlet_cls: type[ChainletBase]) -> tuple[type[ChainletBase], ...]:
        """The chainlets ``chainlet_cls`` declares with ``depends(...)``, each once."""
        return _direct_dependencies(chainlet_cls)


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
    if frames:
        text += f" ({frames[-1].filename}, line {frames[-1].lineno})"
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


def find_entrypoint(module: ModuleType, name: str | None = None) -> type[ChainletBase]:
    """The chainlet named ``name``, else the marked entrypoint, else the only chainlet."""
    where = getattr(module, "__file__", None) or module.__name__
    classes = visible_chainlets(module)
    if name is not None:
        known = {cls.__name__: cls for root in classes for cls in _reachable(root)}
        if name in known:
            return known[name]
        listed = ", ".join(f"`{n}`" for n in sorted(known)) or "none"
        raise ChainFileError(f"{where} has no chainlet `{name}` (chainlets: {listed})")
    marked = [cls for cls in classes if entrypoint_info(cls) is not None]
    if len(marked) == 1:
        return marked[0]
    if len(marked) > 1:
        names = ", ".join(f"`{cls.__name__}`" for cls in marked)
        raise ChainFileError(
            f"{where} marks {len(marked)} entrypoints ({names}); choose one with --entrypoint NAME"
        )
    own = [cls for cls in classes if cls.__module__ == module.__name__] or classes
    if len(own) == 1:
        return own[0]
    if not own:
        raise ChainFileError(
            f"{where} defines no chainlet (a subclass of chains.ChainletBase): is it a chain file?"
        )
    names = ", ".join(f"`{cls.__name__}`" for cls in own)
    raise ChainFileError(
        f"{where} defines {len(own)} chainlets ({names}) and marks none as the entrypoint; "
        "decorate one with @chains.mark_entrypoint or pass --entrypoint NAME"
    )


def find_chainlet(module: ModuleType, name: str) -> type[ChainletBase] | None:
    """The chainlet class called ``name`` in the module or in a chain it defines."""
    for root in visible_chainlets(module):
        for cls in _reachable(root):
            if cls.__name__ == name:
                return cls
    return None


def discover_chain(file: Path, entrypoint: str | None = None) -> Chain:
    """Import ``file`` and find its chain; ``ChainFileError`` says what is wrong and where."""
    if file.suffix != ".py":
        raise ChainFileError(f"{str(file)!r} is not a chain file: expected a .py file")
    module = load_module(str(file))
    entry = find_entrypoint(module, entrypoint)
    chainlets = _chain_of(entry)
    for cls in chainlets:
        try:
            RunRemoteSpec.from_chainlet(cls)
        except ChainsUsageError as exc:
            raise ChainFileError(str(exc)) from None
    return Chain(file=file.resolve(), entrypoint=entry, chainlets=chainlets)


def _direct_dependencies(chainlet_cls: type[ChainletBase]) -> tuple[type[ChainletBase], ...]:
    found: dict[int, type[ChainletBase]] = {}
    for marker in dependency_markers(chainlet_cls).values():
        found.setdefault(id(marker.chainlet_cls), marker.chainlet_cls)
    return tuple(found.values())


def _reachable(root: type[ChainletBase]) -> list[type[ChainletBase]]:
    """``root`` and every chainlet reachable from it, breadth first, each once."""
    order = [root]
    for cls in order:  # grows while iterating
        for dependency in _direct_dependencies(cls):
            if dependency not in order:
                order.append(dependency)
    return order


def _callers_first(entry: type[ChainletBase]) -> list[type[ChainletBase]]:
    """The chain below ``entry`` ordered so that every chainlet comes before those it calls."""
    finished: list[type[ChainletBase]] = []

    def visit(cls: type[ChainletBase]) -> None:
        if cls in finished:
            return
        for dependency in _direct_dependencies(cls):
            visit(dependency)
        finished.append(cls)

    visit(entry)
    return finished[::-1]


def _chain_of(entry: type[ChainletBase]) -> tuple[type[ChainletBase], ...]:
    """The chain below ``entry``, callers first: no cycle, no two chainlets of the same name."""
    _check_acyclic(entry, [], set())
    chainlets = _callers_first(entry)
    by_name: dict[str, type[ChainletBase]] = {}
    for cls in chainlets:
        other = by_name.setdefault(cls.__name__, cls)
        if other is not cls:
            raise ChainFileError(
                f"two different chainlets of the chain are called `{cls.__name__}` "
                f"({other.__module__} and {cls.__module__}); chainlets are addressed by class "
                "name, so rename one"
            )
    return tuple(chainlets)


def _check_acyclic(
    cls: type[ChainletBase], path: list[type[ChainletBase]], done: set[type[ChainletBase]]
) -> None:
    if cls in done:
        return
    if cls in path:
        cycle = " -> ".join(c.__name__ for c in [*path[path.index(cls) :], cls])
        raise ChainFileError(
            f"chainlets depend on each other in a cycle: {cycle}; a chain must be a directed "
            "acyclic graph, so remove one of these depends(...)"
        )
    for dependency in _direct_dependencies(cls):
        _check_acyclic(dependency, [*path, cls], done)
    done.add(cls)
