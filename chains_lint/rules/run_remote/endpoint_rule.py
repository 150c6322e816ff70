"""Reporting on an endpoint, and the bases of the rules about one ``run_remote``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.model.sdk import MODEL_ENDPOINT
from chains_lint.model.types import Param
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.run_remote.endpoints import VARIADIC, Endpoint, endpoints


def report(
    rule: Rule, endpoint: Endpoint, span: Span, message: str, related: Iterable[Span] = ()
) -> Diagnostic:
    """A diagnostic at ``span``, or at the subclass when ``run_remote`` is inherited unlinted."""
    if endpoint.chainlet.is_model:  # the same rules hold for a ModelBase's endpoint
        message = message.replace("run_remote", MODEL_ENDPOINT)
    base = endpoint.inherited_from
    if base is None:
        return rule.diagnostic(span, message, related)
    chainlet = endpoint.chainlet
    where = f"{endpoint.module.display_path}:{span.line}"
    return rule.diagnostic(
        chainlet.cls.span,
        f"`{chainlet.name}` inherits `run_remote` from `{base.name}` ({where}): {message}",
        (span, *related),
    )


class EndpointRule(Rule):
    """A rule about one ``run_remote``: subclasses list the problems of an endpoint."""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for endpoint in endpoints(ctx):
            for span, message in self.problems(ctx, endpoint):
                yield report(self, endpoint, span, message)

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterable[tuple[Span, str]]:
        raise NotImplementedError


class ParamRule(EndpointRule):
    """A rule about each named request field of ``run_remote`` (``*args``/``**kwargs`` aside)."""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        for param in endpoint.wire_params:
            if param.kind not in VARIADIC:
                message = self.param_problem(param)
                if message is not None:
                    yield param.span, message

    def param_problem(self, param: Param) -> str | None:
        """What is wrong with ``param``, or None."""
        raise NotImplementedError
