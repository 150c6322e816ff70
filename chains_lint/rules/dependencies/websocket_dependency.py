"""CH416: ``depends(X)`` on a chainlet whose ``run_remote`` takes a websocket."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.websocket import is_websocket_chainlet
from chains_lint.rules.base import Rule, RuleContext
from chains_lint.rules.dependencies.own_inits import own_dependencies
from chains_lint.rules.dependencies.target_resolution import TargetKind, resolve_target


class WebSocketDependencyRule(Rule):
    code = "CH416"
    name = "websocket-dependency"
    summary = "Reports `depends(X)` where `X`'s `run_remote` takes a websocket."
    why = """
A chainlet calls its dependencies' `run_remote` over HTTP with arguments and a
result; a websocket endpoint has neither and is served only to outside clients.
truss_chains rejects such a dependency when the class is defined ("websockets
can only be used in the entrypoint"), and so do chains-run and chains-build.
"""
    fix = (
        "Give the dependency an HTTP `run_remote` (arguments in, a result out), or make the "
        "websocket chainlet the entrypoint and call the other chainlets from it."
    )
    bad = """
import truss_chains as chains


class Transcriber(chains.ChainletBase):
    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        await websocket.send_text(await websocket.receive_text())


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, transcriber: Transcriber = chains.depends(Transcriber)) -> None:
        self._transcriber = transcriber

    async def run_remote(self, text: str) -> str:
        return text
"""
    bad_span = (11, 51, 11, 78)
    good = """
import truss_chains as chains


class Transcriber(chains.ChainletBase):
    async def run_remote(self, text: str) -> str:
        return text.upper()


@chains.mark_entrypoint
class Caller(chains.ChainletBase):
    def __init__(self, transcriber: Transcriber = chains.depends(Transcriber)) -> None:
        self._transcriber = transcriber

    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        text = await websocket.receive_text()
        await websocket.send_text(await self._transcriber.run_remote(text))
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for chainlet, dependency in own_dependencies(ctx):
            target = resolve_target(ctx.model, ctx.module, dependency)
            if target.kind is not TargetKind.CHAINLET or target.chainlet is None:
                continue
            if is_websocket_chainlet(namespace, target.chainlet):
                yield self.diagnostic(
                    dependency.span,
                    f"`{chainlet.name}` depends on `{target.chainlet.name}`, whose `run_remote` "
                    "takes a websocket; only an entrypoint can serve a websocket: give "
                    f"`{target.chainlet.name}` an HTTP `run_remote`, or make it the entrypoint",
                )
