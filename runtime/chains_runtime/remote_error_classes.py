"""A dependency's error keeps the built-in exception class it was raised as, as in truss.

truss re-raises a dependency's ``ValueError`` as a ``ValueError`` in the caller, so chain files
write ``except ValueError:`` around a dependency call. Here the error is a
``RemoteChainletError`` (a ``GenericRemoteException``) that is also an instance of that class,
for the built-in classes in ``KEPT_CLASSES``: those that say what went wrong in the callee's own
code. Connection, timeout and OS errors are left out on purpose (callers and retry code treat
them as transport failures), as are ``StopIteration`` and the like (they steer iteration).
"""

from __future__ import annotations

import builtins

from chains_runtime.protocol import RemoteChainletError

KEPT_CLASSES: frozenset[str] = frozenset(
    {
        "ArithmeticError",
        "AssertionError",
        "AttributeError",
        "IndexError",
        "KeyError",
        "LookupError",
        "NameError",
        "NotImplementedError",
        "OverflowError",
        "RuntimeError",
        "TypeError",
        "ValueError",
        "ZeroDivisionError",
    }
)

_classes: dict[str, type[RemoteChainletError]] = {}


def remote_error_class(type_name: str) -> type[RemoteChainletError]:
    """The class to raise a dependency's error of type ``type_name`` as."""
    if type_name not in KEPT_CLASSES:
        return RemoteChainletError
    found = _classes.get(type_name)
    if found is None:
        builtin: type[Exception] = getattr(builtins, type_name)
        # Named like its base, so logs and tracebacks read "RemoteChainletError" as before.
        found = type(
            RemoteChainletError.__name__,
            (RemoteChainletError, builtin),
            {"__module__": RemoteChainletError.__module__, "__doc__": RemoteChainletError.__doc__},
        )
        _classes[type_name] = found
    return found
