"""Source positions of libcst nodes, computed one top-level statement at a time.

libcst computes positions by generating the code of the whole module, which
costs more than parsing it. A diagnostic needs the position of a handful of
nodes, so positions are computed only for the top-level statement that holds
the node: CPython's own parser (``ast``, fast) says on which line each
top-level statement starts, and libcst's position-tracking code generation
runs over that one statement, starting at that line.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

from chains_lint.model.walk import walk

Positions = dict[cst.CSTNode, CodeRange]


def module_positions(tree: cst.Module) -> Positions:
    """Every node's position, as ``MetadataWrapper.resolve(PositionProvider)`` gives them."""
    wrapper = MetadataWrapper(tree, unsafe_skip_copy=True)
    return dict(wrapper.resolve(PositionProvider))


def statement_positions(tree: cst.Module, statement: cst.CSTNode, first_line: int) -> Positions:
    """Positions of ``statement`` (a top-level statement) and everything in it.

    ``first_line`` is the line its code starts on, leading blank and comment
    lines included.
    """
    provider = PositionProvider()
    state = PositionProvidingCodegenState(
        default_indent=tree.default_indent,
        default_newline=tree.default_newline,
        provider=provider,
        line=first_line,
    )
    statement._codegen(state)
    return {node: rng for node, rng in provider._computed.items() if isinstance(rng, CodeRange)}


def statement_first_lines(source: str, body: Sequence[cst.BaseStatement]) -> list[int] | None:
    """The line each top-level statement's code starts on, or None when unsure.

    A libcst statement line may hold several ``ast`` statements (``a = 1; b = 2``);
    its code starts with its leading blank and comment lines.
    """
    try:
        parsed = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    ast_statements = parsed.body
    lines: list[int] = []
    position = 0
    for statement in body:
        if position >= len(ast_statements):
            return None
        if not isinstance(statement, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            return None
        first = ast_statements[position]
        line = first.lineno
        if isinstance(first, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            line = min([line, *(d.lineno for d in first.decorator_list)])
        lines.append(line - len(statement.leading_lines))
        position += len(statement.body) if isinstance(statement, cst.SimpleStatementLine) else 1
    if position != len(ast_statements):
        return None
    return lines


def statement_owners(body: Sequence[cst.BaseStatement]) -> dict[cst.CSTNode, int]:
    """For every node in the module body, the index of the top-level statement holding it."""
    owners: dict[cst.CSTNode, int] = {}
    for index, statement in enumerate(body):
        for node in walk(statement):
            owners[node] = index
    return owners
