"""CH101: a chainlet without a ``run_remote``, its own or inherited."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.model.namespace import Namespace
from chains_lint.model.sdk import MODEL_ENDPOINT
from chains_lint.model.types import Chainlet, ClassInfo, StaticValue
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.run_remote.endpoints import model_facts

RUN_REMOTE = "run_remote"

# Bases that never provide ``run_remote``.
_PLAIN_BASES = frozenset(
    {
        "builtins.object",
        "abc.ABC",
        "typing.Generic",
        "typing.Protocol",
        "typing_extensions.Generic",
        "typing_extensions.Protocol",
    }
)
_MAX_BASE_DEPTH = 32


def _base_heads(namespace: Namespace, cls: ClassInfo) -> Iterator[tuple[StaticValue, str | None]]:
    """Each base expression of ``cls`` with the qualified name of its head."""
    for base in cls.bases:
        yield base, namespace.base_head(cls, base)


def _may_provide_run_remote(namespace: Namespace, cls: ClassInfo, depth: int = 0) -> bool:
    """True unless ``cls`` and all its bases are known and none defines ``run_remote``."""
    return _may_provide(namespace, cls, RUN_REMOTE, depth)


def _may_provide(namespace: Namespace, cls: ClassInfo, method: str, depth: int = 0) -> bool:
    """True unless ``cls`` and all its bases are known and none defines ``method``."""
    if depth > _MAX_BASE_DEPTH:
        return True
    if method in cls.methods or method in cls.attributes:
        return True
    for _, head in _base_heads(namespace, cls):
        if head is None:
            return True
        if namespace.sdk_symbol(head) is not None or namespace.canonical(head) in _PLAIN_BASES:
            continue
        parent = namespace.find_class(head)
        if parent is None:
            return True
        if parent is not cls and _may_provide(namespace, parent, method, depth + 1):
            return True
    return False


def _missing_predict(chainlet: Chainlet) -> str:
    return (
        f"model `{chainlet.name}` has no `{MODEL_ENDPOINT}` method; a `ModelBase`'s endpoint is "
        f"`{MODEL_ENDPOINT}` (truss rejects the class: \"Models must have a `predict` method\"): "
        f"add e.g. `async def {MODEL_ENDPOINT}(self, text: str) -> str`"
    )


class RunRemoteMissing(Rule):
    code = "CH101"
    name = "run-remote-missing"
    summary = "Reports a chainlet class without a `run_remote` method, its own or inherited."
    why = """
`run_remote` is a chainlet's only endpoint: without it there is nothing to call,
and truss rejects the class when it is defined ("Chainlets must have a
`run_remote` method"). This also applies to a chainlet used only as a base for
other chainlets: truss validates every subclass of `ChainletBase` as it is
defined and skips only its own built-in bases.
"""
    fix = """
Add `async def run_remote(self, ...) -> ...`. In a chainlet that only serves as a
base, declare it as an abstract method (`@abc.abstractmethod`) that subclasses
override.
"""
    bad = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def greet(self, name: str) -> str:
        return f"Hello, {name}"
"""
    bad_span = (4, 7, 4, 12)
    good = """
import truss_chains as chains


class Hello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        used_as_base = model_facts(ctx.model).used_as_base
        for chainlet in ctx.chainlets:
            if chainlet.is_model:
                if chainlet.run_remote is None and not _may_provide(
                    namespace, chainlet.cls, MODEL_ENDPOINT
                ):
                    yield self.diagnostic(chainlet.cls.span, _missing_predict(chainlet))
                continue
            if chainlet.run_remote is None and not _may_provide_run_remote(namespace, chainlet.cls):
                message = _missing_message(chainlet, chainlet.qualified in used_as_base)
                yield self.diagnostic(chainlet.cls.span, message)
            yield from self._unlinted_bases_without_run_remote(ctx, chainlet)

    def _unlinted_bases_without_run_remote(
        self, ctx: RuleContext, chainlet: Chainlet
    ) -> Iterator[Diagnostic]:
        """Chainlet bases from files that are not linted, which truss also rejects."""
        namespace = ctx.model.namespace
        linted = model_facts(ctx.model).linted
        anchor = _direct_base_span(namespace, chainlet)
        for qualified in chainlet.chainlet_bases:
            base = ctx.model.chainlet_for(qualified)
            if base is None or base.module.path in linted:
                continue
            if base.run_remote is None and not _may_provide_run_remote(namespace, base.cls):
                yield self.diagnostic(
                    anchor,
                    f"chainlet base `{base.name}` ({base.module.display_path}) has no "
                    "`run_remote`, and truss rejects every `ChainletBase` subclass without "
                    f"one, bases too; declare `run_remote` in `{base.name}`, e.g. as an "
                    "`@abc.abstractmethod`",
                    related=(base.cls.span,),
                )


def _missing_message(chainlet: Chainlet, used_as_base: bool) -> str:
    if used_as_base:
        return (
            f"chainlet `{chainlet.name}` has no `run_remote`; a chainlet used as a base "
            "needs one too, since truss validates every `ChainletBase` subclass: declare it "
            "here, e.g. as an `@abc.abstractmethod` that subclasses override"
        )
    if "run" in chainlet.cls.methods:
        return (
            f"chainlet `{chainlet.name}` has a `run` method but no `run_remote`: early "
            "versions of truss_chains called the endpoint `run`; rename it to `run_remote`"
        )
    return (
        f"chainlet `{chainlet.name}` has no `run_remote` method; add its endpoint, e.g. "
        "`async def run_remote(self, text: str) -> str`"
    )


def _direct_base_span(namespace: Namespace, chainlet: Chainlet) -> Span:
    """The base expression through which ``chainlet`` derives from its chainlet bases."""
    if chainlet.chainlet_bases:
        nearest = chainlet.chainlet_bases[0]
        for base, head in _base_heads(namespace, chainlet.cls):
            found = namespace.find_class(head)
            if found is not None and found.qualified == nearest:
                return base.span
    return chainlet.cls.span
