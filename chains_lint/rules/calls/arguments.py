"""Checking a dependency call's arguments against the callee's ``run_remote`` signature."""

from __future__ import annotations

import difflib
import weakref
from dataclasses import dataclass
from typing import Literal

from chains_lint.diagnostics import Span
from chains_lint.model.types import DependencyCall, FunctionInfo, Param
from chains_lint.rules.calls.callee import Callee

ArgumentProblemKind = Literal["missing", "unknown_keyword", "too_many", "duplicate", "omitted"]


@dataclass(frozen=True)
class ArgumentProblem:
    kind: ArgumentProblemKind
    span: Span
    message: str


def _signature(function: FunctionInfo) -> list[Param] | None:
    """The parameters a caller passes (without ``self``); None when unclear."""
    if any(d.written in ("staticmethod", "classmethod") for d in function.decorators):
        return None
    params = list(function.params)
    if not params or params[0].kind not in ("positional_only", "positional_or_keyword"):
        return None
    return params[1:]


# Five rules ask about each call: the answer is worked out once.
_PROBLEMS: weakref.WeakKeyDictionary[DependencyCall, list[ArgumentProblem]] = (
    weakref.WeakKeyDictionary()
)


def argument_problems(call: DependencyCall, callee: Callee) -> list[ArgumentProblem]:
    """What is wrong with the arguments of ``call`` for the callee's signature."""
    problems = _PROBLEMS.get(call)
    if problems is None:
        problems = _PROBLEMS[call] = _argument_problems(call, callee)
    return problems


def _argument_problems(call: DependencyCall, callee: Callee) -> list[ArgumentProblem]:
    params = _signature(callee.function)
    if params is None or call.has_star_args:
        return []
    name = f"`{callee.name}`"
    slots = [p for p in params if p.kind in ("positional_only", "positional_or_keyword")]
    accepts_varargs = any(p.kind == "var_positional" for p in params)
    accepts_kwargs = any(p.kind == "var_keyword" for p in params)
    problems: list[ArgumentProblem] = []
    if len(call.args) > len(slots) and not accepts_varargs:
        extra = call.args[len(slots)]
        problems.append(
            ArgumentProblem(
                "too_many",
                extra.span,
                f"{name} takes {_count(len(slots), 'positional argument')} but the call "
                f"passes {len(call.args)}; remove `{extra.text}` or pass it by keyword",
            )
        )
    positional = {p.name for p in slots[: len(call.args)]}
    bound = set(positional)
    by_name = {p.name: p for p in params if p.kind not in ("var_positional", "var_keyword")}
    for keyword, value in call.kwargs:
        param = by_name.get(keyword)
        if keyword in positional:
            problems.append(
                ArgumentProblem(
                    "duplicate",
                    value.span,
                    f"`{keyword}` is passed both by position and by keyword to {name} "
                    f"(`TypeError`); pass it once",
                )
            )
        elif param is not None and param.kind == "positional_only" and not accepts_kwargs:
            problems.append(
                ArgumentProblem(
                    "unknown_keyword",
                    value.span,
                    f"`{keyword}` is a positional-only parameter of {name} and cannot be "
                    f"passed by keyword; pass it by position",
                )
            )
            bound.add(keyword)
        elif param is None and not accepts_kwargs:
            problems.append(
                ArgumentProblem(
                    "unknown_keyword", value.span, _unknown_keyword(keyword, name, by_name)
                )
            )
            # A misspelled keyword is reported once, not again as a missing parameter.
            bound.update(_close_match(keyword, by_name))
        else:
            bound.add(keyword)
    missing = [p.name for p in params if p.required and p.name not in bound]
    if missing:
        listed = ", ".join(f"`{m}`" for m in missing)
        problems.append(
            ArgumentProblem(
                "missing",
                call.span,
                f"the call to {name} is missing "
                f"{'argument' if len(missing) == 1 else 'arguments'} {listed}; pass "
                f"{'it' if len(missing) == 1 else 'them'}",
            )
        )
    omitted = [p.name for p in by_name.values() if not p.required and p.name not in bound]
    if omitted:
        listed = ", ".join(f"`{o}`" for o in omitted)
        problems.append(
            ArgumentProblem(
                "omitted",
                call.span,
                f"the call to {name} leaves out {listed}, which "
                f"{'has a default' if len(omitted) == 1 else 'have defaults'}; the stub truss "
                f"generates for a deployed dependency has no defaults, so the call fails "
                f"with `TypeError` once deployed; pass "
                f"{_explicit(omitted)} explicitly",
            )
        )
    return problems


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _explicit(names: list[str]) -> str:
    return ", ".join(f"`{n}=...`" for n in names)


def _close_match(word: str, known: dict[str, Param]) -> list[str]:
    return difflib.get_close_matches(word, sorted(known), n=1, cutoff=0.6)


def _unknown_keyword(keyword: str, name: str, known: dict[str, Param]) -> str:
    message = f"{name} has no parameter `{keyword}`"
    close = _close_match(keyword, known)
    if close:
        return f"{message}; did you mean `{close[0]}`?"
    if known:
        listed = ", ".join(f"`{k}`" for k in known)
        return f"{message}; its parameters are {listed}"
    return f"{message}; it takes no arguments"


