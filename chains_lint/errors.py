"""Errors the command lines (chains-lint, chains-build) share, and one-line descriptions of
exceptions for error reports that never show a traceback."""

from __future__ import annotations


class UsageError(Exception):
    """Bad paths or arguments: reported as one line with exit code 2."""


def describe_exception(exc: BaseException) -> str:
    """``Type: first line of the message``, for one-line error reports."""
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__
