"""CH259: the shape of a websocket ``run_remote`` (every profile).

truss_chains' ``_validate_websocket_endpoint`` and the runtime (``chains_runtime.websocket``)
accept a websocket endpoint only as ``async def run_remote(self, ws: WebSocketProtocol) ->
None``; chains_runtime serves it at ``/websocket``.
"""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Span
from chains_lint.model.types import TypeKind
from chains_lint.model.websocket import websocket_params
from chains_lint.rules.base import RuleContext
from chains_lint.rules.run_remote.endpoint_rule import EndpointRule
from chains_lint.rules.run_remote.endpoints import Endpoint


class WebSocketEndpoint(EndpointRule):
    code = "CH259"
    name = "websocket-endpoint"
    summary = (
        "Reports a websocket `run_remote` with other parameters, a return type other than "
        "`None`, a `yield`, or without `async`."
    )
    why = """
A `run_remote` that takes a `WebSocketProtocol` is a websocket endpoint: the
server hands it the accepted socket and nothing else, and closes the socket when
it returns. truss_chains and chains_runtime accept it only as
`async def run_remote(self, websocket: WebSocketProtocol) -> None`: other
parameters would have no value, a result no one to go to; all data goes over the
socket.
"""
    fix = (
        "Keep only the websocket parameter, define it with `async def`, return `None`, and "
        "exchange data over the socket."
    )
    bad = """
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, websocket: chains.WebSocketProtocol, prefix: str) -> None:
        text = await websocket.receive_text()
        await websocket.send_text(prefix + text)
"""
    bad_span = (5, 43, 5, 67)
    good = """
import truss_chains as chains


class Echo(chains.ChainletBase):
    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        text = await websocket.receive_text()
        await websocket.send_text(text)
"""

    def problems(self, ctx: RuleContext, endpoint: Endpoint) -> Iterator[tuple[Span, str]]:
        function = endpoint.function
        sockets = websocket_params(ctx.model.namespace, function)
        if not sockets:
            return
        socket = sockets[0]
        assert socket.annotation is not None
        subject = f"`run_remote` takes the websocket `{socket.name}`"
        others = [p.name for p in endpoint.wire_params if p is not socket]
        if others:
            names = ", ".join(f"`{n}`" for n in others)
            yield (
                socket.annotation.span,
                f"{subject}, so it may take no other parameter; remove {names} and receive "
                "the values over the websocket",
            )
        returns = function.returns
        if returns is not None and returns.kind is not TypeKind.NONE:
            yield (
                returns.span,
                f"{subject}, which requires the return type `None`, not `{returns.text}`; "
                "send results over the websocket",
            )
        elif function.yields:
            yield (
                function.span,
                f"{subject} but yields; a websocket endpoint streams over the websocket "
                "(`await websocket.send_text(...)`), not with `yield`",
            )
        if not function.is_async:
            yield (
                function.span,
                f"{subject} but is a plain `def`; a websocket endpoint must be `async def`",
            )
