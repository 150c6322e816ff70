"""Positions computed per top-level statement equal libcst's whole-module positions."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from chains_lint.model.positions import (
    module_positions,
    statement_first_lines,
    statement_owners,
    statement_positions,
)
from chains_lint.rules.registry import ALL_RULES

ROOT = Path(__file__).resolve().parent.parent

TRICKY = '''#!/usr/bin/env python
# a header comment

"""Docstring."""
import os; import sys  # two statements on one line


# comments before a decorated class
@decorator(
    "arg",
)
@other
class A(Base):  # trailing
    x: int = 1

    @staticmethod
    def f(a, b=(1,
                2)) -> None:
        if a:
            pass
        else:
            return \\
                b
if x:
    y = [
        1,
    ]
elif z:
    pass
async def g():
    async with a as b:
        await c
\f
last = 1
# trailing comment
'''


def _sources() -> list[tuple[str, str]]:
    files = sorted((ROOT / "tests" / "corpus").rglob("*.py")) + sorted(
        (ROOT / "examples").rglob("*.py")
    )
    sources = [(str(f.relative_to(ROOT)), f.read_text(encoding="utf-8")) for f in files]
    for rule in ALL_RULES:
        for kind, example in (("bad", rule.bad), ("good", rule.good)):
            texts = {"chain.py": example} if isinstance(example, str) else dict(example)
            sources += [(f"{rule.code}-{kind}-{name}", t) for name, t in texts.items()]
    sources.append(("tricky", TRICKY))
    return [(name, text) for name, text in sources if _parses(text)]


def _parses(source: str) -> bool:
    try:
        cst.parse_module(source)
    except cst.ParserSyntaxError:
        return False
    return True


@pytest.mark.parametrize(("name", "source"), _sources(), ids=[n for n, _ in _sources()])
def test_statement_positions_match_module_positions(name: str, source: str) -> None:
    tree = cst.parse_module(source)
    expected = module_positions(tree)
    lines = statement_first_lines(source, tree.body)
    assert lines is not None
    owners = statement_owners(tree.body)
    computed: dict[cst.CSTNode, object] = {}
    for index, statement in enumerate(tree.body):
        computed.update(statement_positions(tree, statement, lines[index]))
    assert owners, "the module has statements"
    for node in owners:
        assert computed[node] == expected[node], (name, type(node).__name__, node)
