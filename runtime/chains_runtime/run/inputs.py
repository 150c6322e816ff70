"""``--input``: the entrypoint's ``run_remote`` (a model's ``predict``) arguments, checked as
the server checks them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pydantic

from chains_runtime.chainlet import ChainletBase
from chains_runtime.errors import ChainsUsageError
from chains_runtime.model_base import endpoint_name
from chains_runtime.server.errors import argument_problems
from chains_runtime.server.signature import RunRemoteSpec


class InputError(ChainsUsageError):
    """``--input`` cannot be read, is not a JSON object, or does not fit ``run_remote``."""


@dataclass(frozen=True)
class CallInput:
    """The arguments as given (what is sent over HTTP) and as validated (what a call gets)."""

    given: dict[str, Any]
    validated: dict[str, Any]


def read_input_text(option: str | None, stdin: TextIO) -> tuple[str, str]:
    """The JSON text of ``--input`` and where it came from: literal, ``@file`` or ``-`` (stdin)."""
    if option is None:
        return "{}", "the default input"
    if option == "-":
        return stdin.read(), "--input - (stdin)"
    if option.startswith("@"):
        path = Path(option[1:])
        try:
            return path.read_text(encoding="utf-8"), f"--input {option}"
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise InputError(f"cannot read --input file {str(path)!r}: {reason}") from None
    return option, "--input"


def parse_input(text: str, source: str, entrypoint: type[ChainletBase]) -> CallInput:
    """Check ``text`` against ``entrypoint.run_remote`` with the server's request model."""
    endpoint = f"{entrypoint.__name__}.{endpoint_name(entrypoint)}"
    try:
        given = json.loads(text)
    except ValueError as exc:
        raise InputError(f"{source} is not valid JSON: {exc}") from None
    if not isinstance(given, dict):
        raise InputError(
            f"{source} must be a JSON object of `{endpoint}` arguments "
            f"by name, e.g. '{{\"name\": ...}}', got a JSON {_json_kind(given)}"
        )
    model = RunRemoteSpec.from_chainlet(entrypoint).request_model
    try:
        # From the JSON text, as the server validates it: the same coercions apply.
        arguments = model.model_validate_json(text)
    except pydantic.ValidationError as exc:
        raise InputError(f"{source} does not fit `{endpoint}`: {argument_problems(exc)}") from None
    return CallInput(given=given, validated=dict(arguments.__dict__))


def _json_kind(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return "number"
