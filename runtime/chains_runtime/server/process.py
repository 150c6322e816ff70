"""``ChainletServer``: uvicorn's server for a chainlet's app, draining it on a stop signal.

On SIGTERM / SIGINT the app drains first (new calls answer 503 ``ShuttingDown``, ``/readyz``
503), then uvicorn stops listening, lets the calls in flight finish (up to its
``timeout_graceful_shutdown``) and runs the lifespan shutdown, which closes the dependency
clients. uvicorn then re-raises the signal, so the process exits by it (status -15 after
SIGTERM). Run it with ``access_log=False`` in the uvicorn config: the app logs each call itself,
with its request id (see ``access_log``).
"""

from __future__ import annotations

from types import FrameType
from typing import TYPE_CHECKING

import uvicorn

if TYPE_CHECKING:
    from chains_runtime.server.app import ChainletApp
    from chains_runtime.server.fastapi_app import ChainletFastAPI


class ChainletServer(uvicorn.Server):
    """uvicorn's server, telling the app to drain the moment a stop signal arrives."""

    def __init__(self, config: uvicorn.Config, app: ChainletFastAPI | ChainletApp) -> None:
        super().__init__(config)
        self.chainlet_app = app

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        self.chainlet_app.drain()
        super().handle_exit(sig, frame)
