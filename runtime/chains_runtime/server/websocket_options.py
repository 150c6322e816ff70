"""The uvicorn settings for websockets: which implementation, message size, keep-alive pings.

uvicorn hands a connection to its websocket protocol only when a request asks for the upgrade
(``Connection: upgrade``, ``Upgrade: websocket``); every other request stays on the HTTP
protocol (``server.http_protocol``), whose per-request path does not change. The sans-I/O
implementation of the ``websockets`` package supports the ASGI ``websocket.http.response``
extension, so a refused handshake gets the error envelope (see ``server.websocket``), and it
stops reading a socket while a message waits for the app, so a client cannot queue messages;
``server.websocket_flow`` also stops reading a client whose answers (pongs included) pile up
unread.

- ``ws_max_size``: a message may be as large as a ``run_remote`` request body
  (``max_body_bytes``); a larger one closes the connection with 1009.
- No ``permessage-deflate``: with it, 15 KB on the wire inflate to a 15 MB message (the
  server's memory and CPU for a thousandth of the client's bandwidth), and every message the
  server sends costs a compression. A client that offers it gets a plain connection.
- Pings: truss's ``WebsocketOptions(ping_interval_seconds=..., ping_timeout_seconds=...)``
  given as ``ChainletOptions(transport=...)`` when set, else uvicorn's 20 s and 20 s; a
  client that answers no ping within the timeout is disconnected.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from chains_runtime.definitions import ChainletOptions
from chains_runtime.server.config import ServerConfig
from chains_runtime.server.limits import ServerLimits
from chains_runtime.server.websocket_flow import FlowControlledWebSocketProtocol

WEBSOCKET_IMPLEMENTATION: Final = FlowControlledWebSocketProtocol
DEFAULT_PING_SEC: Final = 20.0
SPARE_CONNECTIONS: Final = 16
"""Connections ``--max-connections`` should leave besides the websockets the gate may hold."""


def websocket_options(config: ServerConfig, options: ChainletOptions) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.Config``."""
    transport = options.transport
    if isinstance(transport, Mapping):
        interval, timeout = (transport.get(f"ping_{t}_seconds") for t in ("interval", "timeout"))
    else:
        interval = getattr(transport, "ping_interval_seconds", None)
        timeout = getattr(transport, "ping_timeout_seconds", None)
    return {
        "ws": WEBSOCKET_IMPLEMENTATION,
        "ws_max_size": config.max_body_bytes,
        "ws_per_message_deflate": False,
        "ws_ping_interval": DEFAULT_PING_SEC if interval is None else float(interval),
        "ws_ping_timeout": DEFAULT_PING_SEC if timeout is None else float(timeout),
    }


def connection_room_warning(config: ServerConfig, limits: ServerLimits) -> str | None:
    """A warning when the websockets the gate may hold (running and queued) could take every
    connection: an open websocket is never closed to make room, so ``/healthz`` and
    ``/readyz`` would go unanswered. None when there is room."""
    held = config.predict_concurrency + config.queue_size
    if limits.max_connections >= held + SPARE_CONNECTIONS:
        return None
    return (
        f"--max-connections {limits.max_connections} leaves room for "
        f"{max(0, limits.max_connections - held)} connection(s) besides the {held} websockets "
        f"this chainlet may hold (predict_concurrency {config.predict_concurrency} + "
        f"queue_size {config.queue_size}); open websockets are never closed to make room, so "
        f"health probes could go unanswered: give at least {held + SPARE_CONNECTIONS}"
    )
