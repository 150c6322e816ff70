"""The server harness: serve one chainlet's ``run_remote`` over HTTP (see ``protocol``)."""

from chains_runtime.server.access_log import configure_access_log
from chains_runtime.server.app import ChainletApp, create_app
from chains_runtime.server.config import DependencyProvider, ServerConfig
from chains_runtime.server.process import ChainletServer
from chains_runtime.server.signature import RunRemoteSpec

__all__ = [
    "ChainletApp",
    "ChainletServer",
    "DependencyProvider",
    "RunRemoteSpec",
    "ServerConfig",
    "configure_access_log",
    "create_app",
]
