"""Where a function of the chain file is defined, so that an error can point at it."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any


def definition_site(function: Callable[..., Any]) -> str:
    """``file:line: `` of ``function``'s ``def`` (decorators unwrapped), or "" when unknown."""
    code = getattr(inspect.unwrap(function), "__code__", None)
    if code is None:
        return ""
    return f"{code.co_filename}:{code.co_firstlineno}: "
