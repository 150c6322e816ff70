"""The exceptions the SDK raises, each naming what was expected and what was found."""

from __future__ import annotations


class ChainsError(Exception):
    """Base class of every error raised by chains_runtime."""


class ChainsUsageError(ChainsError, TypeError):
    """The SDK was used in a way it does not support (a wrong argument, a wrong place)."""


class GenericRemoteException(ChainsError):
    """A dependency chainlet failed: the error it reported (truss's name for it).

    Every such error raised in the caller is one (``RemoteChainletError``, and
    ``DependencyHTTPError`` for an answer without the chain envelope), so
    ``except chains.GenericRemoteException`` catches a failing dependency.
    """


class ChainletInstantiationError(ChainsError, RuntimeError):
    """A chainlet was instantiated outside ``run_local`` or a deployment."""


class DependencyCycleError(ChainsUsageError):
    """Chainlets depend on each other in a cycle, so none of them can be built."""


class UnresolvedDependencyError(ChainsUsageError, AttributeError):
    """A ``depends(...)`` or ``depends_context()`` marker was used as if it were the object.

    It is an ``AttributeError`` too, so ``hasattr`` on a marker stays False.
    """


class SecretError(ChainsError, KeyError):
    """Base class of secret lookups that fail.

    A ``KeyError`` as for any mapping, but printed as a sentence rather than a quoted key.
    """

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class UndeclaredSecretError(SecretError):
    """A chainlet read a secret it does not list in ``remote_config.assets.secret_keys``."""


class MissingSecretError(SecretError):
    """A chainlet read a declared secret for which no value was provided."""


class MissingServiceError(ChainsError, KeyError):
    """No service descriptor is known for a dependency chainlet."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""
