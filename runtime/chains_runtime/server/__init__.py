"""The server harness: serve one chainlet's ``run_remote`` over HTTP (see ``protocol``)."""

from chains_runtime.server.app import create_app
from chains_runtime.server.config import DependencyProvider, ServerConfig
from chains_runtime.server.signature import RunRemoteSpec

__all__ = ["DependencyProvider", "RunRemoteSpec", "ServerConfig", "create_app"]
