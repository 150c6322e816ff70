"""CH724: ``ChainletOptions(transport=...)`` that does not match the kind of ``run_remote``.

truss_chains (``_validate_transport_options``) requires ``WebsocketOptions`` for a chainlet
whose ``run_remote`` takes a websocket, and rejects ``WebsocketOptions`` on any other. The
transport is a call (``truss_config.WebsocketOptions(...)``, ``HTTPOptions()``,
``GRPCOptions()``) or a dict with its ``kind``.
"""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.types import ConfigObject
from chains_lint.model.websocket import is_websocket_chainlet
from chains_lint.rules.base import Rule, RuleContext

WEBSOCKET_OPTIONS = "WebsocketOptions"
# The transport classes of truss_config, by the ``kind`` a dict gives instead.
_TRANSPORTS = {"http": "HTTPOptions", "websocket": WEBSOCKET_OPTIONS, "grpc": "GRPCOptions"}


def transport_class(transport: ConfigObject) -> str | None:
    """``WebsocketOptions``, ``HTTPOptions`` or ``GRPCOptions``; None when not one of them."""
    if transport.kind is None:
        kind = transport.fields.get("kind")
        return _TRANSPORTS.get(kind) if isinstance(kind, str) else None
    return transport.kind if transport.kind in _TRANSPORTS.values() else None


class TransportEndpointMismatch(Rule):
    code = "CH724"
    name = "transport-endpoint-mismatch"
    summary = (
        "Finds `ChainletOptions(transport=...)` that does not match the endpoint: a websocket "
        "`run_remote` with a transport other than `WebsocketOptions`, or `WebsocketOptions` "
        "on an HTTP `run_remote`."
    )
    why = """
The transport options configure how the chainlet's endpoint is served. A
websocket endpoint takes only `WebsocketOptions` (its ping settings); an HTTP
endpoint cannot use them, and the settings would silently do nothing. truss
rejects both when the chain file is imported.
"""
    fix = (
        "Give a websocket `run_remote` `transport=truss_config.WebsocketOptions(...)`, and "
        "remove `WebsocketOptions` from a chainlet whose `run_remote` takes arguments."
    )
    bad = """
import truss_chains as chains
from truss.base import truss_config


class Echo(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        options=chains.ChainletOptions(transport=truss_config.HTTPOptions())
    )

    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        await websocket.send_text(await websocket.receive_text())
"""
    bad_span = (7, 50, 7, 76)
    good = """
import truss_chains as chains
from truss.base import truss_config


class Echo(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        options=chains.ChainletOptions(
            transport=truss_config.WebsocketOptions(ping_interval_seconds=10)
        )
    )

    async def run_remote(self, websocket: chains.WebSocketProtocol) -> None:
        await websocket.send_text(await websocket.receive_text())
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for chainlet in ctx.chainlets:
            config = chainlet.remote_config
            transport = config.options.transport
            source = config.sources.get("options.transport")
            if transport is None or source is None or chainlet.run_remote is None:
                continue
            given = transport_class(transport)
            if given is None:
                continue
            span = source.span if source.span.path == chainlet.cls.span.path else chainlet.cls.span
            if is_websocket_chainlet(namespace, chainlet):
                if given != WEBSOCKET_OPTIONS:
                    yield self.diagnostic(
                        span,
                        f"`{chainlet.name}.run_remote` takes a websocket, so its transport must "
                        f"be `{WEBSOCKET_OPTIONS}`, not `{given}`; use "
                        "`transport=truss_config.WebsocketOptions(...)` or leave it out",
                    )
            elif given == WEBSOCKET_OPTIONS:
                yield self.diagnostic(
                    span,
                    f"`{WEBSOCKET_OPTIONS}` is only for a websocket endpoint, but "
                    f"`{chainlet.name}.run_remote` takes no websocket; remove `transport` "
                    "or make `run_remote` take a `chains.WebSocketProtocol`",
                )
