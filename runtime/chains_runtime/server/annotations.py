"""The annotations of ``run_remote``, resolved at start-up or refused with a clear error.

The server validates each argument against its parameter's annotation. An annotation it
cannot evaluate (a name that is not defined when the chain's module has run, e.g. one imported
only under ``if TYPE_CHECKING:``) must not turn validation off: that would let ``x: int``
accept ``"not an int"``. So it is an error naming the chainlet, the parameter and the
annotation, raised before the server starts.
"""

from __future__ import annotations

import inspect
import typing
from collections.abc import Callable
from typing import Any

from chains_runtime.errors import ChainsUsageError
from chains_runtime.source_location import definition_site


class _OneAnnotation:
    """An object with one annotation, for ``typing.get_type_hints`` to evaluate alone."""

    def __init__(self, name: str, annotation: object) -> None:
        self.__annotations__ = {name: annotation}


def run_remote_hints(
    chainlet_name: str, method: Callable[..., Any], endpoint: str
) -> dict[str, Any]:
    """``typing.get_type_hints(method)``; a ChainsUsageError naming the first annotation that
    cannot be resolved (in ``endpoint``: ``run_remote``, or a model's ``predict``)."""
    try:
        return typing.get_type_hints(method, include_extras=True)
    except Exception:  # any failure is reported below, one annotation at a time
        pass
    namespace = getattr(inspect.unwrap(method), "__globals__", {})
    hints: dict[str, Any] = {}
    for name, annotation in inspect.get_annotations(method).items():
        try:
            hints.update(
                typing.get_type_hints(
                    _OneAnnotation(name, annotation), globalns=namespace, include_extras=True
                )
            )
        except Exception as exc:  # NameError, SyntaxError, TypeError...
            raise ChainsUsageError(
                definition_site(method)
                + _unresolvable(chainlet_name, endpoint, name, annotation, exc)
            ) from None
    return hints


def _unresolvable(
    chainlet: str, endpoint: str, name: str, annotation: object, exc: Exception
) -> str:
    written = annotation if isinstance(annotation, str) else getattr(
        annotation, "__forward_arg__", repr(annotation)
    )
    where = "the return annotation" if name == "return" else f"parameter `{name}`"
    reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return (
        f"chainlet `{chainlet}`: the annotation `{written}` of {where} of `{endpoint}` cannot be "
        f"resolved ({type(exc).__name__}: {reason}); define or import it at the top level of "
        "the chain's module (a name imported only under `if TYPE_CHECKING:` does not exist when "
        "the server starts)"
    )
