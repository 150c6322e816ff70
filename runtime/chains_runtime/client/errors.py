"""Errors of calls to a dependency chainlet that never got an answer from it."""

from __future__ import annotations

from chains_runtime.errors import ChainsError


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
