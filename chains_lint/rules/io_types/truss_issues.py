"""What ``truss_chains`` rejects in a ``run_remote`` signature, and the messages saying so."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chains_lint.diagnostics import Span
from chains_lint.model.types import TypeExpr
from chains_lint.rules.io_types.sites import IoSite, unquoted
from chains_lint.rules.io_types.truss_types import TYPING_CONTAINERS
from chains_lint.rules.json_safety import TUPLE_HEADS
from chains_lint.rules.run_remote.endpoints import Endpoint

_TRUSS_SUPPORTED = (
    "truss_chains accepts only `int`, `float`, `complex`, `bool`, `str`, `bytes`, `None`, "
    "pydantic models and `list`/`dict` of these"
)


class TrussCheck(str, enum.Enum):
    STRING = "CH250"
    UNION = "CH251"
    CONTAINER_ITEM = "CH252"
    TYPING_CONTAINER = "CH253"
    UNSUPPORTED_CONTAINER = "CH254"
    BARE_CONTAINER = "CH255"
    NEEDS_MODEL = "CH256"
    VARIADIC_TUPLE = "CH257"
    STREAM_ITEM = "CH258"


@dataclass(frozen=True)
class TrussIssue:
    check: TrussCheck
    span: Span
    subject: str  # where: "`run_remote` parameter `x` has type `T`"
    detail: str  # what truss does and how to fix it

    @property
    def message(self) -> str:
        return f"{self.subject}: {self.detail}"


def issue(check: TrussCheck, site: IoSite, expr: TypeExpr, detail: str) -> TrussIssue:
    return TrussIssue(check, expr.span, site.describe(expr), detail)


def string_issue(site: IoSite, expr: TypeExpr) -> TrussIssue:
    return issue(
        TrussCheck.STRING, site, expr,
        f"truss_chains does not evaluate string annotations and "
        f"rejects {expr.text}; write the type without quotes (define it above the "
        "chainlet)",
    )


def future_annotations_issue(endpoint: Endpoint) -> TrussIssue:
    return TrussIssue(
        TrussCheck.STRING, endpoint.function.span,
        f"`from __future__ import annotations` in {endpoint.module.display_path} turns "
        "every annotation of `run_remote` into a string",
        "truss_chains rejects string annotations; remove the import",
    )


def typing_container_issue(site: IoSite, expr: TypeExpr, head: str) -> TrussIssue:
    builtin = TYPING_CONTAINERS[head]
    return issue(
        TrussCheck.TYPING_CONTAINER, site, expr,
        f"truss_chains accepts only the built-in `{builtin}`, not "
        f"`{head}`; write `{builtin}[...]` with the item types",
    )


def unsupported_container_issue(site: IoSite, expr: TypeExpr, head: str) -> TrussIssue:
    name = head.rpartition(".")[2]
    if head in TUPLE_HEADS:
        reason = "accepts `tuple` only as the return type, not here"
    else:
        reason = f"does not accept `{name}`"
    return issue(
        TrussCheck.UNSUPPORTED_CONTAINER, site, expr,
        f"truss_chains {reason}; its containers are `list` and "
        "`dict` (and `tuple` for results): use `list[...]`, or a pydantic model",
    )


def bare_container_issue(site: IoSite, expr: TypeExpr) -> TrussIssue:
    name = unquoted(expr).text
    return issue(
        TrussCheck.BARE_CONTAINER, site, expr,
        f"truss_chains needs the item types of `{name}`; write e.g. "
        f"`{name}[str]`" + (" or `dict[str, int]`" if name == "dict" else ""),
    )


def new_type_issue(site: IoSite, expr: TypeExpr, underlying: TypeExpr) -> TrussIssue:
    return issue(
        TrussCheck.NEEDS_MODEL, site, expr,
        f"{_TRUSS_SUPPORTED}; the `NewType` `{expr.text}` is none of these, so write its "
        f"type `{underlying.text}` instead",
    )


def needs_model_issue(site: IoSite, expr: TypeExpr) -> TrussIssue:
    return issue(
        TrussCheck.NEEDS_MODEL, site, expr,
        f"{_TRUSS_SUPPORTED}; `{expr.text}` is allowed only as the "
        "type of a field of a pydantic model, so wrap it in one",
    )
