"""Quantities written as text or numbers: memory sizes, instance types, whole numbers."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from chains_lint.model.accelerators import accelerator

# The runtime's memory-quantity grammar (a generated copy of chains_runtime/memory_quantity.py).
from chains_lint.model.memory_quantity import MEMORY_UNITS as MEMORY_UNITS
from chains_lint.model.memory_quantity import parse_memory as parse_memory
from chains_lint.model.types import LiteralValue


@dataclass(frozen=True)
class InstanceType:
    """An instance type such as ``"L4:4x16"``: GPU, GPU count, vCPUs and memory in GiB."""

    gpu: str | None
    gpu_count: int
    cpu_count: int
    memory_gib: int


_INSTANCE_TYPE = re.compile(r"(?:(?P<gpu>[^:]+):)?(?P<numbers>\d+(?:x\d+){1,2})")


def parse_instance_type(text: str) -> InstanceType | None:
    """Parse ``"<vCPUs>x<GiB>"``, ``"<GPU>:<vCPUs>x<GiB>"`` or ``"<GPU>:<count>x<vCPUs>x<GiB>"``.

    The GPU must be a known accelerator name. None when ``text`` has another form.
    """
    match = _INSTANCE_TYPE.fullmatch(text)
    if match is None:
        return None
    gpu = match.group("gpu")
    numbers = [int(n) for n in match.group("numbers").split("x")]
    if gpu is not None and accelerator(gpu) is None:
        return None
    if any(n <= 0 for n in numbers) or (gpu is None and len(numbers) == 3):
        return None
    gpu_count = numbers.pop(0) if len(numbers) == 3 else (1 if gpu else 0)
    return InstanceType(gpu, gpu_count, numbers[0], numbers[1])


def integer_value(literal: LiteralValue | object) -> int | None:
    """``literal`` as an int when it is one (or a float without fraction), else None."""
    if isinstance(literal, bool):
        return None
    if isinstance(literal, int):
        return literal
    if isinstance(literal, float) and literal.is_integer():
        return int(literal)
    return None


def at_least(literal: LiteralValue | object, minimum: int | float) -> int | float | None:
    """``literal`` when it is a finite number >= ``minimum`` (a whole one when ``minimum`` is
    an int: then as an int), else None."""
    number = integer_value(literal) if isinstance(minimum, int) else literal
    if isinstance(number, bool) or not isinstance(number, int | float):
        return None
    return number if math.isfinite(number) and number >= minimum else None
