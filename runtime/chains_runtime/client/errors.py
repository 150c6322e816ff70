"""Errors of calls to a dependency chainlet that never got an answer from it."""

from __future__ import annotations

from chains_runtime.errors import ChainsError
from chains_runtime.protocol import RemoteChainletError


class DependencyError(ChainsError):
    """A call to a dependency chainlet did not get a usable answer."""

    def __init__(self, dependency: str, url: str, reason: str) -> None:
        super().__init__(dependency, url, reason)
        self.dependency = dependency
        self.url = url
        self.reason = reason

    def __str__(self) -> str:
        return f"dependency {self.dependency!r} at {self.url}: {self.reason}"


class DependencyUnavailableError(DependencyError, ConnectionError):
    """The dependency could not be reached, or kept answering 502/503/504, after all retries."""


class DependencyTimeoutError(DependencyError, TimeoutError):
    """The dependency did not answer within the call's timeout (not retried: it may have run)."""


class DependencyResponseTooLargeError(DependencyError):
    """An answer, or one frame of a stream, was larger than its limit (``max_response_bytes``,
    ``max_frame_bytes``): it was not read further and its connection was closed.

    Not retried: the dependency ran the call, and would answer the same again.
    """

    def __init__(self, dependency: str, url: str, reason: str, limit: int) -> None:
        super().__init__(dependency, url, reason)
        self.limit = limit


def describe_size(size: int) -> str:
    """``size`` in bytes, and in MiB or KiB when it is a round number of them."""
    for unit, name in ((1 << 20, "MiB"), (1 << 10, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size} bytes ({size // unit} {name})"
    return f"{size} bytes"


class DeadlineExceededError(DependencyTimeoutError):
    """The deadline of the call being served ran out before the dependency answered (or left no
    time to call it, or to retry it): the server answers 504 ``DeadlineExceeded``."""


class DependencyHTTPError(RemoteChainletError):
    """A dependency answered with an error status but without the chainlet error envelope.

    It is a ``RemoteChainletError`` (type ``HTTP <status>``, the message naming the URL, so
    the URL travels up the chain too): the answer came from a proxy, or from an endpoint that
    is not a chainlet (see ``StubBase``). ``body`` holds the start of the answer's body.
    """

    def __init__(self, dependency: str, url: str, status: int, body: bytes) -> None:
        excerpt = body[:500].decode("utf-8", errors="replace").strip() or "(empty body)"
        super().__init__(
            chainlet=dependency,
            type=f"HTTP {status}",
            message=f"{url} answered: {excerpt}",
            status=status,
        )
        self.dependency = dependency
        self.url = url
        self.body = excerpt

    def __str__(self) -> str:
        return f"dependency {self.dependency!r} at {self.url} answered HTTP {self.status}: " + (
            self.body
        )
