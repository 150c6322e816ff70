"""CH003 and CH260 (truss profile): what makes truss's import of a chain file fail outright.
CH206 (all profiles): an annotation naming what exists only for type checkers.

truss imports the chain file to validate it: a class whose base is never imported or defined
raises ``NameError``, and so does a ``run_remote`` annotation naming something undefined
(annotations are evaluated when the ``def`` runs, unless ``from __future__ import
annotations``); ``...`` as an annotation is no type at all. The default profile reports the
annotations as CH202 warnings (the linter may not see every binding); under the truss
profile they are errors, and CH202 leaves them to CH260.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import libcst as cst

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.model.bindings import is_defined, type_checking_only_names
from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import Chainlet, ClassInfo, TypeExpr, TypeKind
from chains_lint.rules.base import Example, Rule, RuleContext


def _head_name(node: cst.BaseExpression) -> cst.Name | None:
    """``a`` of ``a``, ``a.b.c``, ``a[...]`` and ``a(...)``."""
    while True:
        if isinstance(node, cst.Name):
            return node
        if isinstance(node, (cst.Attribute, cst.Subscript)):
            node = node.value
        elif isinstance(node, cst.Call):
            node = node.func
        else:
            return None


def _class_scope(cls: ClassInfo) -> set[str]:
    """Names a method's annotations can see in its class body."""
    names = set(cls.methods) | set(cls.attributes) | {f.name for f in cls.fields}
    names.update(
        node.name.value
        for statement in cls.node.body.body
        if isinstance(node := statement, cst.ClassDef)
    )
    return names


def undefined_annotations(ctx: RuleContext) -> list[tuple[Span, str]]:
    """(span, message) for each ``...`` or undefined name in the linted module's
    ``run_remote`` signatures."""
    found: list[tuple[Span, str]] = []
    module = ctx.module
    if module.future_annotations:
        return found  # annotations are not evaluated at import (CH250 reports them)
    for label, annotation, scope in _own_annotations(ctx):
        if annotation.kind is TypeKind.ELLIPSIS:
            found.append((
                annotation.span,
                f"{label} is annotated `...`, which is not a type; truss rejects it when "
                "importing the file: write the type, e.g. `str` or a pydantic model",
            ))
            continue
        for expr in _walk_evaluated(annotation):
            name = _unbound_name(module, expr, scope)
            if name is not None:
                found.append((
                    expr.span,
                    f"{label} uses `{name}`, which is neither imported nor defined, so "
                    f"importing the file raises `NameError`; import or define `{name}`",
                ))
    return found


def _own_annotations(ctx: RuleContext) -> Iterator[tuple[str, TypeExpr, set[str]]]:
    """(label, annotation, names of the class body) of each annotation of a ``run_remote``
    the linted module's chainlets define themselves (an inherited one is reported where it
    is defined)."""
    for chainlet in ctx.chainlets:
        if chainlet.run_remote is None or chainlet.run_remote_owner != chainlet.qualified:
            continue
        scope = _class_scope(chainlet.cls)
        for label, annotation in _annotations(chainlet):
            yield label, annotation, scope


def _annotations(chainlet: Chainlet) -> Iterator[tuple[str, TypeExpr]]:
    function = chainlet.run_remote
    assert function is not None
    method = f"`{chainlet.name}.{function.name}`"
    for param in function.params:
        if param.annotation is not None:
            yield f"parameter `{param.name}` of {method}", param.annotation
    if function.returns is not None:
        yield f"the return type of {method}", function.returns


def _walk_evaluated(expr: TypeExpr) -> Iterator[TypeExpr]:
    """The parts of an annotation Python evaluates (not the text of a string annotation)."""
    yield expr
    if expr.kind is TypeKind.STRING:
        return
    for arg in expr.args:
        yield from _walk_evaluated(arg)


def _unbound_name(module: ModuleInfo, expr: TypeExpr, scope: set[str]) -> str | None:
    if expr.kind not in (TypeKind.NAME, TypeKind.SUBSCRIPT) or expr.qualified is not None:
        return None
    head = _head_name(expr.node)
    if head is None or is_defined(module, head.value, scope):
        return None
    return head.value


class TrussUndefinedAnnotation(Rule):
    code = "CH260"
    name = "truss-undefined-annotation"
    profiles = frozenset({"truss"})
    summary = (
        "Reports a `run_remote` annotation that is `...` or names something never imported "
        "or defined (truss profile)."
    )
    why = """
Python evaluates the annotations of `run_remote` when the class is defined,
so an undefined name raises `NameError` and truss cannot even import the chain
file; `...` is not a type, and truss rejects it as an I/O type.
"""
    fix = "Import the type, or define it above the chainlet; write a real type instead of `...`."
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, request: Request) -> str:
        return request.name
"""
    bad_span = (5, 41, 5, 48)
    good = """
import pydantic

import truss_chains as chains


class Request(pydantic.BaseModel):
    name: str


class Hello(chains.ChainletBase):
    async def run_remote(self, request: Request) -> str:
        return request.name
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for span, message in undefined_annotations(ctx):
            yield self.diagnostic(span, message)


class TrussUndefinedBaseClass(Rule):
    code = "CH003"
    name = "truss-undefined-base-class"
    profiles = frozenset({"truss"})
    summary = (
        "Reports a module-level class whose base class is never imported or defined "
        "(truss profile)."
    )
    why = """
The bases of a class are evaluated when the file is imported: a base that is
never imported or defined (a forgotten `from truss_chains import ChainletBase`,
a mixin from another module) raises `NameError`, so truss cannot import the
chain file. The linter does not see such a class as a chainlet at all.
"""
    fix = "Import the base class (`import truss_chains as chains`, `chains.ChainletBase`)."
    bad = """
import truss_chains as chains


class Hello(ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""
    bad_span = (4, 13, 4, 25)
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        module = ctx.module
        for cls in module.classes.values():
            for base in cls.bases:
                head = _head_name(base.node)
                if head is None or head.value in module.imports or head.value in (
                    module.defined_names
                ):
                    continue
                if not is_defined(module, head.value):
                    yield self.diagnostic(
                        base.span,
                        f"the base `{base.text}` of `{cls.name}` is neither imported nor "
                        "defined, so importing the file raises `NameError`; import "
                        f"`{head.value}`",
                    )


class TypeCheckingOnlyAnnotation(Rule):
    code = "CH206"
    name = "io-type-only-for-type-checkers"
    summary = (
        "Reports a `run_remote` annotation naming something imported only under "
        "`if TYPE_CHECKING:`."
    )
    why = """
A name bound only inside `if TYPE_CHECKING:` exists for mypy and pyright, never
when the chain runs. The server resolves the annotations of `run_remote` when it
starts, to validate every argument against its type, so it refuses to start and
names the annotation; a chainlet that calls this one resolves its return type the
same way. Without `from __future__ import annotations`, importing the file
already raises `NameError`.
"""
    fix = "Import the type at the top level of the module, outside `if TYPE_CHECKING:`."
    bad: ClassVar[Example] = {
        "chain.py": """
from __future__ import annotations

from typing import TYPE_CHECKING

import truss_chains as chains

if TYPE_CHECKING:
    from schemas import Order


class Checkout(chains.ChainletBase):
    async def run_remote(self, order: Order) -> str:
        return order.sku
""",
        "schemas.py": """
import pydantic


class Order(pydantic.BaseModel):
    sku: str
""",
    }
    bad_span = (12, 39, 12, 44)
    good: ClassVar[Example] = {
        "chain.py": """
import truss_chains as chains

from schemas import Order


class Checkout(chains.ChainletBase):
    async def run_remote(self, order: Order) -> str:
        return order.sku
""",
        "schemas.py": """
import pydantic


class Order(pydantic.BaseModel):
    sku: str
""",
    }

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        hidden = type_checking_only_names(ctx.module)
        if not hidden:
            return
        for label, annotation, scope in _own_annotations(ctx):
            for expr in annotation.walk():
                if expr.kind not in (TypeKind.NAME, TypeKind.SUBSCRIPT):
                    continue
                head = _head_name(expr.node)
                if head is None or head.value not in hidden or head.value in scope:
                    continue
                yield self.diagnostic(
                    expr.span,
                    f"{label} uses `{head.value}`, which is imported only under "
                    "`if TYPE_CHECKING:`, so it does not exist when the chain runs: the "
                    "server cannot resolve the annotation and refuses to start; import "
                    f"`{head.value}` at the top level of the module",
                )


RULES: tuple[type[Rule], ...] = (
    TrussUndefinedBaseClass,
    TrussUndefinedAnnotation,
    TypeCheckingOnlyAnnotation,
)
