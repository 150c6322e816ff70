"""Header rules shared by the two transports (``pool`` and ``httpx_transport``).

Header values may be secrets (an API key, the service token): no error here quotes a value,
only the header's name.
"""

from __future__ import annotations

from collections.abc import Mapping

from chains_runtime.client.connection import BodyTooLargeError
from chains_runtime.errors import ChainsUsageError


def checked_headers(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """Header lines that cannot break the request: no control character but tab, latin-1 only.

    A bad one raises ``ChainsUsageError`` naming the header, never quoting its value.
    """
    for name, value in headers.items():
        text = name + value
        if text.isascii() and text.isprintable() and _good_name(name):  # the common case
            continue
        if not _sendable(name) or not _good_name(name):
            raise ChainsUsageError(f"{name!r} cannot be sent as a header name")
        if not _sendable(value):
            raise ChainsUsageError(
                f"the value of header {name!r} cannot be sent: it holds a control character "
                "(a line break, say) or one outside latin-1 (not shown: it may be a secret)"
            )
    return list(headers.items())


def declared_too_large(
    content_length: str | None, max_bytes: int | None
) -> BodyTooLargeError | None:
    """The error for an answer whose Content-Length is over ``max_bytes``, else None."""
    if max_bytes is None or content_length is None:
        return None
    declared = content_length.strip()
    if declared.isdigit() and int(declared) > max_bytes:
        return BodyTooLargeError(max_bytes, int(declared), declared=True)
    return None


def _good_name(name: str) -> bool:
    return name != "" and ":" not in name and name == name.strip()


def _sendable(text: str) -> bool:
    """No control character but tab (RFC 9110 field values), latin-1 only."""
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return not any(char in _CONTROL for char in text)


_CONTROL = frozenset(chr(code) for code in [*range(0x20), 0x7F] if code != 0x09)
