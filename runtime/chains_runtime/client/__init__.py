"""The dependency client: how a chainlet calls another chainlet over HTTP."""

from chains_runtime.client.backoff import Backoff, parse_retry_after
from chains_runtime.client.dependency import DependencyClient
from chains_runtime.client.errors import (
    DeadlineExceededError,
    DependencyError,
    DependencyHTTPError,
    DependencyResponseTooLargeError,
    DependencyTimeoutError,
    DependencyUnavailableError,
)
from chains_runtime.protocol import IncompleteStreamError, ProtocolError, RemoteChainletError

__all__ = [
    "Backoff",
    "DeadlineExceededError",
    "DependencyClient",
    "DependencyError",
    "DependencyHTTPError",
    "DependencyResponseTooLargeError",
    "DependencyTimeoutError",
    "DependencyUnavailableError",
    "IncompleteStreamError",
    "ProtocolError",
    "RemoteChainletError",
    "parse_retry_after",
]
