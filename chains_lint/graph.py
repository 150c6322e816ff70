"""The dependency graph of each chain, as a Mermaid flowchart.

One ``graph TD`` block per chain: a node per chainlet (the entrypoint drawn as
a stadium and labelled as such), an edge per ``depends()`` labelled with the
options that differ from their defaults, and a dotted edge to a node for a
dependency that names no known chainlet. The output depends only on the model,
so it can be committed and diffed.
"""

from __future__ import annotations

import re

from chains_lint.model.depends_options import OPTION_DEFAULTS, option_values
from chains_lint.model.types import Chain, Chainlet, ChainModel, DependencyInfo, LiteralValue

_UNSAFE_ID_CHARS = re.compile(r"[^0-9A-Za-z_]")
# Words Mermaid reads as syntax when used as a bare node id.
_RESERVED_IDS = frozenset(
    {"end", "graph", "flowchart", "subgraph", "click", "style", "class", "classdef",
     "linkstyle", "direction", "default"}
)


def mermaid(model: ChainModel) -> str:
    """Every chain of ``model`` as a Mermaid flowchart, blocks separated by a blank line."""
    chains = sorted(model.chains, key=lambda c: (str(c.path), c.entrypoint.qualified))
    return "\n".join(_chain_graph(model, chain) for chain in chains)


def _chain_graph(model: ChainModel, chain: Chain) -> str:
    ids = _NodeIds()
    title = chain.name or chain.entrypoint.display_name
    lines = [
        "graph TD",
        f"    %% chain: {_one_line(title)} ({chain.entrypoint.module.display_path})",
    ]
    for chainlet in chain.chainlets:
        lines.append(f"    {_node(ids.of(chainlet.qualified), chainlet, chain)}")
    missing: dict[str, str] = {}
    for chainlet in chain.chainlets:
        source = ids.of(chainlet.qualified)
        for dependency in chainlet.dependencies:
            lines.extend(_edge(model, ids, source, dependency, missing))
    return "\n".join(lines) + "\n"


def _node(node_id: str, chainlet: Chainlet, chain: Chain) -> str:
    label = chainlet.display_name
    if label != chainlet.name:
        label = f"{label} ({chainlet.name})"
    if chainlet is chain.entrypoint:
        return f'{node_id}(["{_escape("entrypoint: " + label)}"])'
    return f'{node_id}["{_escape(label)}"]'


def _edge(
    model: ChainModel,
    ids: _NodeIds,
    source: str,
    dependency: DependencyInfo,
    missing: dict[str, str],
) -> list[str]:
    label = _options_label(dependency)
    link = f'|"{_escape(label)}"|' if label else ""
    target = model.chainlet_for(dependency.target_qualified)
    if target is not None:
        return [f"    {source} -->{link} {ids.of(target.qualified)}"]
    if dependency.target is None:
        return []
    written = dependency.target.text
    lines: list[str] = []
    if written not in missing:
        missing[written] = ids.of(f"missing:{written}")
        lines.append(f'    {missing[written]}["{_escape(written + " (not a known chainlet)")}"]')
    lines.append(f"    {source} -.->{link} {missing[written]}")
    return lines


def _options_label(dependency: DependencyInfo) -> str:
    parts: list[str] = []
    for name, value in option_values(dependency):
        if not value.is_literal:
            parts.append(f"{name}={value.text}")
        elif not _is_default(value.literal, OPTION_DEFAULTS[name]):  # type: ignore[arg-type]
            parts.append(f"{name}={value.literal!r}")
    return ", ".join(parts)


def _is_default(value: LiteralValue, default: LiteralValue) -> bool:
    # True == 1 in Python, but `retries=True` is not the default `retries=1`.
    return isinstance(value, bool) == isinstance(default, bool) and value == default


def _escape(text: str) -> str:
    """Text safe inside a double-quoted Mermaid label."""
    return (
        _one_line(text)
        .replace("&", "#amp;")
        .replace('"', "#quot;")
        .replace("<", "#lt;")
        .replace(">", "#gt;")
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())


class _NodeIds:
    """Stable, unique, Mermaid-safe node ids derived from qualified names."""

    def __init__(self) -> None:
        self._ids: dict[str, str] = {}
        self._used: set[str] = set()

    def of(self, key: str) -> str:
        found = self._ids.get(key)
        if found is not None:
            return found
        base = _UNSAFE_ID_CHARS.sub("_", key) or "node"
        if base[0].isdigit() or base.lower() in _RESERVED_IDS:
            base = f"n_{base}"
        candidate = base
        counter = 2
        while candidate in self._used:
            candidate = f"{base}_{counter}"
            counter += 1
        self._used.add(candidate)
        self._ids[key] = candidate
        return candidate
