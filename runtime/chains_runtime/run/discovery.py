"""Find a chain by importing its file: the entrypoint and every chainlet it reaches.

The chain is read from the live classes, not from the source text: the entrypoint is the
chainlet marked with ``mark_entrypoint`` (or the only one, or the one named), and its chain is
every chainlet reachable from it through ``depends(...)`` defaults of ``__init__``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from chains_runtime.chain_file import (
    ChainFileError,
    direct_dependencies,
    load_module,
    reachable,
    visible_chainlets,
)
from chains_runtime.chainlet import ChainletBase
from chains_runtime.errors import ChainsUsageError
from chains_runtime.markers import entrypoint_info
from chains_runtime.model_base import is_model
from chains_runtime.server.signature import RunRemoteSpec
from chains_runtime.websocket import refuse_websocket_dependency


@dataclass(frozen=True)
class Chain:
    """A chain as found in its file: every chainlet before the ones it calls (so the
    entrypoint first), each once."""

    file: Path
    entrypoint: type[ChainletBase]
    chainlets: tuple[type[ChainletBase], ...]

    def dependencies(self, chainlet_cls: type[ChainletBase]) -> tuple[type[ChainletBase], ...]:
        """The chainlets ``chainlet_cls`` declares with ``depends(...)``, each once."""
        return direct_dependencies(chainlet_cls)


def find_entrypoint(module: ModuleType, name: str | None = None) -> type[ChainletBase]:
    """The chainlet named ``name``, else the marked entrypoint, else the only chainlet."""
    where = getattr(module, "__file__", None) or module.__name__
    classes = visible_chainlets(module)
    if name is not None:
        known = {cls.__name__: cls for root in classes for cls in reachable(root)}
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
    models = [cls for cls in own if is_model(cls)]
    if len(models) == 1:  # a model is its own entrypoint, as in truss
        return models[0]
    if models:
        names = ", ".join(f"`{cls.__name__}`" for cls in models)
        raise ChainFileError(
            f"{where} defines {len(models)} models ({names}); a file deploys one ModelBase: "
            "choose one with --entrypoint NAME or move the others to their own files"
        )
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
        try:
            for dependency in direct_dependencies(cls):
                refuse_websocket_dependency(cls, dependency)
        except ChainsUsageError as exc:
            raise ChainFileError(str(exc)) from None
    return Chain(file=file.resolve(), entrypoint=entry, chainlets=chainlets)


def _callers_first(entry: type[ChainletBase]) -> list[type[ChainletBase]]:
    """The chain below ``entry`` ordered so that every chainlet comes before those it calls."""
    finished: list[type[ChainletBase]] = []

    def visit(cls: type[ChainletBase]) -> None:
        if cls in finished:
            return
        for dependency in direct_dependencies(cls):
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
    for dependency in direct_dependencies(cls):
        _check_acyclic(dependency, [*path, cls], done)
    done.add(cls)
