"""The server harness: serve one chainlet's ``run_remote`` over HTTP (see ``protocol``).

``create_app`` and ``ChainletFastAPI`` are imported on first use: ``import chains_runtime``
(whose stubs use the server's metrics) does not load FastAPI, only a server does.
"""

from typing import TYPE_CHECKING

from chains_runtime.server.access_log import configure_access_log
from chains_runtime.server.app import ChainletApp
from chains_runtime.server.config import DependencyProvider, ServerConfig
from chains_runtime.server.process import ChainletServer
from chains_runtime.server.signature import RunRemoteSpec

if TYPE_CHECKING:
    from chains_runtime.server.fastapi_app import ChainletFastAPI, create_app

__all__ = [
    "ChainletApp",
    "ChainletFastAPI",
    "ChainletServer",
    "DependencyProvider",
    "RunRemoteSpec",
    "ServerConfig",
    "configure_access_log",
    "create_app",
]


def __getattr__(name: str) -> object:
    if name in ("ChainletFastAPI", "create_app"):
        from chains_runtime.server import fastapi_app

        return getattr(fastapi_app, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
