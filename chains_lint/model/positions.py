"""Source positions of libcst nodes, computed one top-level statement at a time.

libcst computes positions by generating the code of the whole module, which
costs more than parsing it. A diagnostic needs the position of a handful of
nodes, so positions are computed only for the top-level statement that holds
the node: CPython's own parser (``ast``, fast) says on which line each
top-level statement starts, and libcst's public metadata API
(``MetadataWrapper.resolve(PositionProvider)``) runs over a module holding just
that statement; its lines are then shifted to where the statement starts.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

import libcst as cst
from libcst.metadata import CodePosition, CodeRange, MetadataWrapper, PositionProvider

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
    if not isinstance(statement, cst.BaseStatement):
        raise TypeError(f"not a statement: {type(statement).__name__}")
    alone = tree.with_changes(header=(), body=(statement,), footer=())
    resolved = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
    shift = first_line - 1
    positions: Positions = {}
    for node, rng in resolved.items():
        if node is alone:
            continue
        positions[node] = rng if not shift else CodeRange(
            CodePosition(rng.start.line + shift, rng.start.column),
            CodePosition(rng.end.line + shift, rng.end.column),
        )
    return positions


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
