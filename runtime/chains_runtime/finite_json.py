"""JSON has no NaN or Infinity: find those constants in encoded JSON, cheaply.

Python's and pydantic-core's encoders write ``NaN``, ``Infinity`` and ``-Infinity`` for
non-finite floats, and their parsers accept them, but no other JSON parser does. The server
refuses them in requests (422), and they are never written into a result, a stream frame or a
dependency call: encoding one raises ``NonFiniteFloatError``.

The check is two substring searches over the encoded bytes; only when one of them hits (a
non-finite float, or a string that happens to contain the letters) is the text parsed again
(by pydantic-core, refusing the constants) to tell the two apart.
"""

from __future__ import annotations

import json
import math
import re
from typing import Final

import pydantic_core

_MARKERS: Final = (b"NaN", b"Infinity")


class NonFiniteFloatError(ValueError):
    """A value holds a NaN or infinite float, which JSON cannot carry."""


class _Found(Exception):
    def __init__(self, constant: str) -> None:
        super().__init__(constant)
        self.constant = constant


def _raise_found(constant: str) -> object:
    raise _Found(constant)


def non_finite_constant(encoded: bytes) -> str | None:
    """The first ``NaN``/``Infinity``/``-Infinity`` constant in the JSON text ``encoded``, or
    None (the same letters inside a string do not count; text that is not JSON gives None)."""
    if _MARKERS[0] not in encoded and _MARKERS[1] not in encoded:
        return None
    try:  # Rust-fast: most texts with the letters hold them inside strings
        pydantic_core.from_json(encoded, allow_inf_nan=False)
    except ValueError:
        pass
    else:
        return None
    try:
        json.loads(encoded, parse_constant=_raise_found)
    except _Found as found:
        return found.constant
    except (ValueError, RecursionError):  # not JSON, or nested too deeply: not ours to say
        return None
    return None


def ensure_finite(encoded: bytes, what: str) -> bytes:
    """``encoded``, unless it holds a non-finite float: then ``NonFiniteFloatError`` saying
    that ``what`` (e.g. "the result of run_remote") cannot be sent."""
    constant = non_finite_constant(encoded)
    if constant is not None:
        raise NonFiniteFloatError(
            f"{what} contains the float {constant}, which JSON cannot carry; send None "
            "(declare the type `float | None`) or a string such as 'nan' instead"
        )
    return encoded


_BIG_EXPONENT: Final = re.compile(rb"\d[eE]\+?\d{3}")
"""A number with a three-digit exponent: the only way JSON text overflows a float (1e999)."""


_SUSPECT: Final = re.compile(rb"NaN|Infinity|\d[eE]\+?\d{3}").search
"""Finds what may be a non-finite constant or a number too large for a float."""


class _Overflow(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _Overflow(text)
    return value


def non_finite_in_request(body: bytes) -> str | None:
    """Why a request body holds a number that is not a finite float, or None.

    ``NaN``/``Infinity`` constants, and numbers too large for a float (``1e999``, which every
    parser turns into infinity). Typed ``float`` arguments are refused by validation as well;
    this covers untyped (``Any``) arguments too."""
    if _SUSPECT(body) is None:  # the usual case: one regex search
        return None
    constant = non_finite_constant(body)
    if constant is not None:
        return f"the float {constant}, which is not JSON"
    if _BIG_EXPONENT.search(body) is None:
        return None
    try:
        json.loads(body, parse_float=_finite_float)
    except _Overflow as overflow:
        return f"the number {overflow.text[:40]}, too large for a float"
    except (ValueError, RecursionError):
        return None
    return None
