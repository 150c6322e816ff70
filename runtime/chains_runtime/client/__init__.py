"""The dependency client: how a chainlet calls another chainlet over HTTP."""

from chains_runtime.client.backoff import Backoff, parse_retry_after
from chains_runtime.client.dependency import DependencyClient
from chains_runtime.client.errors import (
    DependencyError,
    DependencyHTTPError,
    DependencyTimeoutError,
    DependencyUnavailableError,
)
from chains_runtime.protocol import IncompleteStreamError, ProtocolError, RemoteChainletError

__all__ = [
    "Backoff",
    "DependencyClient",
    "DependencyError",
    "DependencyHTTPError",
    "DependencyTimeoutError",
    "DependencyUnavailableError",
    "IncompleteStreamError",
    "ProtocolError",
    "RemoteChainletError",
    "parse_retry_after",
]
