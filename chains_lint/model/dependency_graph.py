"""The chainlets of a model and their resolved ``depends()`` edges, built once per model."""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Sequence

from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import Chainlet, ChainModel, DependencyInfo

Edge = tuple[Chainlet, DependencyInfo]  # (the chainlet depended on, the depends() leading to it)

_GRAPHS: weakref.WeakKeyDictionary[ChainModel, DependencyGraph] = weakref.WeakKeyDictionary()


def dependency_graph(model: ChainModel) -> DependencyGraph:
    """The graph of ``model``; every linted file of a batch shares it."""
    graph = _GRAPHS.get(model)
    if graph is None:
        graph = _GRAPHS[model] = DependencyGraph(model)
    return graph


class DependencyGraph:
    """Chainlets (sorted by qualified name) and the chainlets each one depends on."""

    def __init__(self, model: ChainModel) -> None:
        self.nodes = sorted(model.chainlets.values(), key=lambda c: c.qualified)
        self.edges: dict[str, list[Edge]] = {}
        for chainlet in self.nodes:
            out: list[Edge] = []
            for dependency in chainlet.dependencies:
                target = model.chainlet_for(dependency.target_qualified)
                if target is not None:
                    out.append((target, dependency))
            self.edges[chainlet.qualified] = out
        self._cycles_by_module: dict[int, list[list[Chainlet]]] | None = None
        self._depended_on: frozenset[str] | None = None

    @property
    def depended_on(self) -> frozenset[str]:
        """Qualified names of the chainlets another chainlet depends on."""
        if self._depended_on is None:
            self._depended_on = frozenset(
                target.qualified
                for chainlet in self.nodes
                for target, _ in self.edges[chainlet.qualified]
                if target is not chainlet
            )
        return self._depended_on

    def cycles_touching(self, module: ModuleInfo) -> list[list[Chainlet]]:
        """The cyclic components with a chainlet defined in ``module``."""
        if self._cycles_by_module is None:
            by_module: dict[int, list[list[Chainlet]]] = {}
            for component in self._cyclic_components():
                for module_id in {id(c.module) for c in component}:
                    by_module.setdefault(module_id, []).append(component)
            self._cycles_by_module = by_module
        return self._cycles_by_module.get(id(module), [])

    def _cyclic_components(self) -> list[list[Chainlet]]:
        """Strongly connected components that contain a cycle (Tarjan, iteratively)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        on_stack: set[str] = set()
        stack: list[Chainlet] = []
        result: list[list[Chainlet]] = []
        counter = 0
        for root in self.nodes:
            if root.qualified in index:
                continue
            work: list[tuple[Chainlet, int]] = [(root, 0)]
            while work:
                node, position = work.pop()
                key = node.qualified
                if position == 0:
                    index[key] = low[key] = counter
                    counter += 1
                    stack.append(node)
                    on_stack.add(key)
                edges = self.edges[key]
                if position < len(edges):
                    work.append((node, position + 1))
                    target = edges[position][0]
                    if target.qualified not in index:
                        work.append((target, 0))
                    elif target.qualified in on_stack:
                        low[key] = min(low[key], index[target.qualified])
                    continue
                if low[key] == index[key]:
                    component: list[Chainlet] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member.qualified)
                        component.append(member)
                        if member is node:
                            break
                    if self._is_cyclic(component):
                        result.append(component)
                if work:
                    parent = work[-1][0].qualified
                    low[parent] = min(low[parent], low[key])
        return result

    def _is_cyclic(self, component: list[Chainlet]) -> bool:
        if len(component) > 1:
            return True
        only = component[0]
        return any(t is only for t, _ in self.edges[only.qualified])

    def shortest_cycle(self, start: Chainlet, component: Sequence[Chainlet]) -> list[Edge]:
        """Steps ``(next chainlet, depends() leading to it)`` from ``start`` back to it."""
        members = {c.qualified for c in component}
        came_from: dict[str, tuple[Chainlet, Chainlet, DependencyInfo]] = {}
        queue: deque[Chainlet] = deque([start])
        seen: set[str] = set()
        while queue:
            node = queue.popleft()
            for target, dependency in self.edges[node.qualified]:
                if target.qualified not in members:
                    continue
                if target is start:
                    return _unwind(came_from, start, node, dependency)
                if target.qualified in seen:
                    continue
                seen.add(target.qualified)
                came_from[target.qualified] = (node, target, dependency)
                queue.append(target)
        return []


def _unwind(
    came_from: dict[str, tuple[Chainlet, Chainlet, DependencyInfo]],
    start: Chainlet,
    last: Chainlet,
    closing: DependencyInfo,
) -> list[Edge]:
    steps: list[Edge] = [(start, closing)]
    current = last
    while current is not start:
        parent, target, dependency = came_from[current.qualified]
        steps.append((target, dependency))
        current = parent
    steps.reverse()
    return steps
