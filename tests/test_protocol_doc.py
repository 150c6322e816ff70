"""docs/protocol.md names every wire constant of chains_runtime.protocol, with its exact value."""

from __future__ import annotations

from pathlib import Path

import pytest
from chains_runtime import protocol

DOC = Path(__file__).resolve().parent.parent / "docs" / "protocol.md"

WIRE_CONSTANTS = {
    "RUN_REMOTE_PATH": protocol.RUN_REMOTE_PATH,
    "REQUEST_ID_HEADER": protocol.REQUEST_ID_HEADER,
    "SERVICE_TOKEN_HEADER": protocol.SERVICE_TOKEN_HEADER,
    "DEADLINE_HEADER": protocol.DEADLINE_HEADER,
    "RETRY_AFTER_HEADER": protocol.RETRY_AFTER_HEADER,
    "JSON_CONTENT_TYPE": protocol.JSON_CONTENT_TYPE,
    "STREAM_CONTENT_TYPE": protocol.STREAM_CONTENT_TYPE,
    "MSGPACK_CONTENT_TYPE": protocol.MSGPACK_CONTENT_TYPE,
    "OCTET_STREAM_CONTENT_TYPE": protocol.OCTET_STREAM_CONTENT_TYPE,
    "MSGPACK_STREAM_CONTENT_TYPE": protocol.MSGPACK_STREAM_CONTENT_TYPE,
}


def _doc() -> str:
    return DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", sorted(WIRE_CONSTANTS))
def test_doc_names_constant_and_value(name: str) -> None:
    text = _doc()
    assert f"`{WIRE_CONSTANTS[name]}`" in text, f"{name} value missing from docs/protocol.md"
    assert f"`{name}`" in text, f"{name} not named in docs/protocol.md"


def test_doc_covers_all_str_constants() -> None:
    # A new header/path/content-type constant must be added to WIRE_CONSTANTS (and the doc).
    found = {
        name
        for name in dir(protocol)
        if name.isupper()
        and name.endswith(("_PATH", "_HEADER", "_CONTENT_TYPE"))
        and isinstance(getattr(protocol, name), str)
    }
    assert found == set(WIRE_CONSTANTS)


def test_doc_shows_end_frame_and_retryable_statuses() -> None:
    text = _doc()
    assert protocol.END_FRAME.decode().strip() in text
    for status in sorted(protocol.RETRYABLE_STATUS_CODES):
        assert f"`{status}`" in text


def test_doc_names_every_envelope_field() -> None:
    text = _doc()
    for field in protocol.ErrorDetail.model_fields:
        assert f'"{field}"' in text and f"`{field}`" in text
