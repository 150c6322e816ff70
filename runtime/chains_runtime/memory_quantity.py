"""The memory quantities ``Compute(memory=...)`` accepts, and the bytes they stand for.

A Kubernetes quantity as truss accepts it: a plain number of bytes (``"1e9"``), or a number
with a binary (``Ki``, ``Mi``, ``Gi``...) or decimal (``k``, ``M``, ``G``...) suffix. The
standard library only: the linter and the builder use this grammar too, through the copy
``scripts/generate_sdk_tables.py`` writes to ``chains_lint/model/memory_quantity.py``.
"""

from __future__ import annotations

import math
import re

MEMORY_UNITS: dict[str, int] = {
    "k": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
    "P": 10**15,
    "E": 10**18,
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "Pi": 2**50,
    "Ei": 2**60,
}
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_MEMORY = re.compile(rf"(?P<number>{_NUMBER})(?:(?P<exponent>[eE][+-]?\d+)|(?P<unit>[A-Za-z]+))?")


def parse_memory(quantity: str) -> int | None:
    """The number of bytes a memory quantity such as ``"2Gi"`` stands for, or None if invalid."""
    match = _MEMORY.fullmatch(quantity)
    if match is None:
        return None
    unit = match.group("unit")
    if unit is not None and unit not in MEMORY_UNITS:
        return None
    number = float(match.group("number") + (match.group("exponent") or ""))
    size = number * MEMORY_UNITS.get(unit or "", 1)
    return math.ceil(size) if math.isfinite(size) else None
