"""Deterministic YAML text for the generated deploy files.

A small emitter for the JSON-like data the builders make (dicts in insertion order, lists,
str, int, bool, None): block style, sequences indented under their key, a string left plain
only when no YAML reader (1.1 or 1.2) could take it for anything but that string, otherwise
single-quoted (all literal) or double-quoted with escapes; multi-line text such as a JSON
file in a ConfigMap as a literal block. Same data, same bytes; no dependency in the images.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

Data = Mapping[str, "Data"] | Sequence["Data"] | str | int | bool | None

_PLAIN = re.compile(r"[A-Za-z_/][A-Za-z0-9_./-]*")
# Words YAML 1.1 (docker-compose 1.29, PyYAML) or 1.2 reads as booleans or null.
_RESERVED = frozenset(("y", "n", "yes", "no", "true", "false", "on", "off", "null", "~"))
_INDENT = "  "


def dump(data: Mapping[str, Data], *, comments: Sequence[str] = ()) -> str:
    """One YAML document, after ``comments`` (each a ``# `` line)."""
    return dump_all([data], comments=comments)


def dump_all(documents: Sequence[Mapping[str, Data]], *, comments: Sequence[str] = ()) -> str:
    """Several YAML documents separated by ``---``, after ``comments``."""
    lines = [f"# {line}".rstrip() for comment in comments for line in comment.split("\n")]
    for number, document in enumerate(documents):
        if number:
            lines.append("---")
        lines.extend(_mapping(document, 0) if document else ["{}"])
    return "\n".join(lines) + "\n"


def scalar(value: str | int | bool | None) -> str:
    """``value`` as a YAML scalar that every reader takes for exactly ``value``."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if _PLAIN.fullmatch(value) and value.lower() not in _RESERVED:
        return value
    if value.isprintable() and "'" not in value:
        return f"'{value}'"  # single quotes keep everything literal: JSON text stays readable
    return _double_quoted(value)


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _double_quoted(value: str) -> str:
    """A YAML double-quoted scalar; what is not printable (control characters, line
    separators, unassigned code points) as ``\\u``/``\\U`` escapes."""
    out = []
    for char in value:
        if char in _ESCAPES:
            out.append(_ESCAPES[char])
        elif char.isprintable():
            out.append(char)
        elif ord(char) < 0x10000:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(f"\\U{ord(char):08x}")
    return '"' + "".join(out) + '"'


def _mapping(data: Mapping[str, Data], depth: int) -> list[str]:
    pad = _INDENT * depth
    lines: list[str] = []
    for key, value in data.items():
        head = f"{pad}{scalar(key)}:"
        if _is_block_text(value):
            assert isinstance(value, str)
            lines.append(f"{head} |")
            lines.extend(_block_lines(value, depth + 1))
        elif isinstance(value, Mapping) and value:
            lines.append(head)
            lines.extend(_mapping(value, depth + 1))
        elif _is_sequence(value) and value:
            assert isinstance(value, Sequence)
            lines.append(head)
            lines.extend(_sequence(value, depth + 1))
        else:
            lines.append(f"{head} {_inline(value)}")
    return lines


def _sequence(items: Sequence[Data], depth: int) -> list[str]:
    pad = _INDENT * depth
    lines: list[str] = []
    for item in items:
        if isinstance(item, Mapping) and item:
            # The item's first key goes on the "- " line, the others line up under it.
            nested = _mapping(item, depth + 1)
            lines.append(f"{pad}- {nested[0].lstrip()}")
            lines.extend(nested[1:])
        elif _is_sequence(item) and item:
            assert isinstance(item, Sequence)
            nested = _sequence(item, depth + 1)
            lines.append(f"{pad}- {nested[0].lstrip()}")
            lines.extend(nested[1:])
        elif _is_block_text(item):
            assert isinstance(item, str)
            lines.append(f"{pad}- |")
            lines.extend(_block_lines(item, depth + 1))
        else:
            lines.append(f"{pad}- {_inline(item)}")
    return lines


def _block_lines(text: str, depth: int) -> list[str]:
    pad = _INDENT * depth
    return [f"{pad}{line}" if line else "" for line in text.splitlines()]


def _inline(value: Data) -> str:
    if isinstance(value, Mapping):
        return "{}"
    if _is_sequence(value):
        return "[]"
    assert value is None or isinstance(value, str | int | bool)
    return scalar(value)


def _is_sequence(value: Data) -> bool:
    return isinstance(value, Sequence) and not isinstance(value, str)


def _is_block_text(value: Data) -> bool:
    """Multi-line text that a ``|`` block keeps byte for byte (ends in one newline, no tabs,
    no trailing blanks, no leading blank on the first line)."""
    if not isinstance(value, str) or "\n" not in value.rstrip("\n"):
        return False
    if not value.endswith("\n") or value.endswith("\n\n") or value[:1].isspace():
        return False
    body = value[:-1]
    return all(line == line.rstrip() and line.isprintable() for line in body.split("\n"))
