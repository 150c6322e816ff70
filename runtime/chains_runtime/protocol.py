"""The wire protocol between chainlets, shared by the dependency client and the server harness.

One call is ``POST /run_remote`` with a JSON object of ``run_remote`` arguments by name. Only the
arguments the caller passed are sent: an omitted argument takes the callee's own default, it is
never sent as ``null``.

- Success: HTTP 200 and the JSON result.
- Failure: a non-2xx status and an error envelope,
  ``{"error": {"type", "message", "chainlet", "traceback", "status"}}``.
- Streaming: HTTP 200 and newline-delimited JSON frames (``application/x-ndjson``):
  ``{"data": item}`` for each item (``{"bytes": "..."}``, one character per byte, for a
  ``bytes`` item), then exactly one ``{"end": true}``. A failure midway sends
  ``{"error": {...}}`` (the envelope's inner object) and ends the body. A body that stops without
  an end frame is a failed stream, never a complete one.

Headers: ``x-request-id`` carries the request id along the chain; ``x-chains-service-token``
carries the internal service token that chainlets use to call each other;
``x-chains-deadline-ms`` carries the call's remaining time budget from hop to hop.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Final, Literal

import pydantic
import pydantic_core

from chains_runtime.errors import ChainsError, GenericRemoteException
from chains_runtime.finite_json import ensure_finite

if TYPE_CHECKING:
    from chains_runtime.remote_error_detail import RemoteErrorDetail

RUN_REMOTE_PATH: Final = "/run_remote"
REQUEST_ID_HEADER: Final = "x-request-id"
SERVICE_TOKEN_HEADER: Final = "x-chains-service-token"
DEADLINE_HEADER: Final = "x-chains-deadline-ms"
"""The caller's remaining time budget for the call, in whole milliseconds (relative, like
gRPC's ``grpc-timeout``, so the clocks of the hops need not agree)."""
RETRY_AFTER_HEADER: Final = "retry-after"
JSON_CONTENT_TYPE: Final = "application/json"
STREAM_CONTENT_TYPE: Final = "application/x-ndjson"
MSGPACK_CONTENT_TYPE: Final = "application/x-msgpack"
"""A binary (MessagePack) request or answer (``use_binary=True``; see ``chains_runtime.binary``)."""
OCTET_STREAM_CONTENT_TYPE: Final = "application/octet-stream"
"""What truss's binary stubs send: accepted as ``MSGPACK_CONTENT_TYPE``."""
MSGPACK_STREAM_CONTENT_TYPE: Final = "application/x-msgpack-stream"
"""A streamed answer as length-prefixed MessagePack frames (``binary.FRAME_PREFIX_BYTES``)."""

RETRYABLE_STATUS_CODES: Final = frozenset({502, 503, 504})
"""Statuses a caller may retry: the request did not reach, or was refused by, the chainlet.
A 502 or 504 that carries the error envelope is a chainlet's own answer (a dependency it could
not reach, a timeout, a deadline that ran out) and is not retried."""

DEADLINE_EXCEEDED: Final = "DeadlineExceeded"
"""The envelope ``type`` of a 504: the call's deadline ran out in the chainlet it names."""

END_FRAME: Final = b'{"end":true}\n'
BYTES_FRAME_KEY: Final = "bytes"
"""The key of a JSON stream frame holding a ``bytes`` item: ``{"bytes": "..."}``, a string of one
character per byte, U+0000 to U+00FF (the bytes decoded as ISO-8859-1, ``BYTES_FRAME_ENCODING``)."""
BYTES_FRAME_ENCODING: Final = "latin-1"
UNKNOWN_FRAME_HINT: Final = (
    "; the producer may run a newer chains runtime, with frames this one does not know: "
    "upgrade the caller's runtime (callers before producers)"
)
"""Ends the message of the ``ProtocolError`` a line that is no known frame raises. An unknown
frame is never skipped: it may hold an item, and a stream missing one would look complete."""


class ErrorDetail(pydantic.BaseModel):
    """What went wrong in a remote chainlet: the inner object of the error envelope."""

    model_config = pydantic.ConfigDict(frozen=True)

    type: str
    message: str
    chainlet: str
    traceback: str | None = None
    status: int
    request_id: str | None = None


class ErrorEnvelope(pydantic.BaseModel):
    """The body of every failed (non-2xx) response."""

    model_config = pydantic.ConfigDict(frozen=True)

    error: ErrorDetail


class DataFrame(pydantic.BaseModel):
    """One streamed item."""

    model_config = pydantic.ConfigDict(frozen=True)

    data: Any


class EndFrame(pydantic.BaseModel):
    """The last frame of a stream that completed."""

    model_config = pydantic.ConfigDict(frozen=True)

    end: Literal[True] = True


class ErrorFrame(pydantic.BaseModel):
    """The last frame of a stream that failed midway."""

    model_config = pydantic.ConfigDict(frozen=True)

    error: ErrorDetail


Frame = DataFrame | EndFrame | ErrorFrame


class ProtocolError(ChainsError):
    """A peer sent something the protocol does not allow (a bad frame, a cut stream)."""


class IncompleteStreamError(ProtocolError):
    """A stream ended without an end frame: it failed, even if the HTTP status was 200."""


class RemoteChainletError(GenericRemoteException):
    """A dependency chainlet failed; raised in the caller with the remote details."""

    def __init__(
        self,
        *,
        chainlet: str,
        type: str,
        message: str,
        status: int,
        traceback: str | None = None,
    ) -> None:
        super().__init__(chainlet, type, message, status)
        self.chainlet = chainlet
        self.type = type
        self.message = message
        self.status = status
        self.traceback = traceback

    @classmethod
    def from_detail(cls, detail: ErrorDetail) -> RemoteChainletError:
        """The error raised in the caller; as in truss, it is also an instance of the built-in
        exception class the dependency raised, if any (see ``remote_error_classes``)."""
        from chains_runtime.remote_error_classes import remote_error_class

        error_class = remote_error_class(detail.type) if cls is RemoteChainletError else cls
        return error_class(
            chainlet=detail.chainlet,
            type=detail.type,
            message=detail.message,
            status=detail.status,
            traceback=detail.traceback,
        )

    @property
    def remote_error_detail(self) -> RemoteErrorDetail:
        """The remote error as truss's ``RemoteErrorDetail`` describes it."""
        from chains_runtime.remote_error_detail import RemoteErrorDetail

        return RemoteErrorDetail.from_error(self)

    def to_detail(self) -> ErrorDetail:
        return ErrorDetail(
            type=self.type,
            message=self.message,
            chainlet=self.chainlet,
            traceback=self.traceback,
            status=self.status,
        )

    def __str__(self) -> str:
        text = f"chainlet {self.chainlet!r} failed with {self.type} (HTTP {self.status}): "
        text += self.message
        if self.traceback:
            text += "\n\nRemote traceback:\n" + self.traceback.rstrip()
        return text


def media_type(content_type: str | None) -> str:
    """The media type of a ``content-type`` value, lower-cased, without its parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def encode_json(value: Any, what: str = "the value") -> bytes:
    """Encode arguments or a result once, as compact JSON (pydantic models included).

    A NaN or infinite float raises ``NonFiniteFloatError`` (see ``finite_json``); ``what`` names
    the value in that error."""
    return ensure_finite(pydantic_core.to_json(value), what)


def encode_error_envelope(detail: ErrorDetail) -> bytes:
    return ErrorEnvelope(error=detail).model_dump_json().encode()


def encode_data_frame(item: Any) -> bytes:
    """One stream frame; a NaN or infinite float in ``item`` raises ``NonFiniteFloatError``.

    A ``bytes`` item (also ``bytearray``, ``memoryview``) is a bytes frame: a JSON string holds
    text, and pydantic would write the bytes as UTF-8, which fails for any other bytes (a typed
    stream's part starts with a binary tag). One character per byte keeps the JSON text of a
    typed stream's parts (ASCII but for the tag) as small and as fast to read as text; base64
    would be a third larger and several times slower to decode."""
    if isinstance(item, (bytes, bytearray, memoryview)):
        if isinstance(item, memoryview) and not item.c_contiguous:
            item = bytes(item)  # str() reads only a contiguous buffer (a view[::2] is not)
        return pydantic_core.to_json({BYTES_FRAME_KEY: str(item, BYTES_FRAME_ENCODING)}) + b"\n"
    return ensure_finite(pydantic_core.to_json({"data": item}), "a streamed item") + b"\n"


def encode_error_frame(detail: ErrorDetail) -> bytes:
    return ErrorFrame(error=detail).model_dump_json().encode() + b"\n"


def parse_error_envelope(body: bytes) -> ErrorDetail | None:
    """The error detail of a failed response, or None if the body is not an envelope."""
    try:
        return ErrorEnvelope.model_validate_json(body).error
    except pydantic.ValidationError:
        return None


def decode_json_answer(content: bytes, source: str) -> Any:
    """The decoded JSON body of an answer from ``source`` (None when empty).

    Not JSON, or nested deeper than the decoder can go, raises ``ProtocolError`` naming
    ``source`` (never ``RecursionError``)."""
    if not content:
        return None
    try:
        return json.loads(content)
    except ValueError as exc:
        raise ProtocolError(f"{source} answered with a body that is not JSON") from exc
    except RecursionError:
        raise ProtocolError(
            f"{source} answered with JSON nested too deeply to decode ({len(content)} bytes)"
        ) from None


def frame_from_object(obj: Any) -> Frame | None:
    """The frame a decoded NDJSON line or MessagePack frame holds, None if it holds none; a
    malformed error frame raises ``pydantic.ValidationError``."""
    if isinstance(obj, dict) and len(obj) == 1:
        if "data" in obj:
            return DataFrame.model_construct(data=obj["data"])
        if obj.get("end") is True:
            return EndFrame()
        if "error" in obj:
            return ErrorFrame.model_validate(obj)
    return None


def parse_frame(line: str | bytes) -> Frame:
    """Decode one stream line; raise ProtocolError if it is not a frame.

    A bytes frame is a ``DataFrame`` whose ``data`` is the ``bytes`` item."""
    try:
        obj = json.loads(line)
    except ValueError as exc:
        raise ProtocolError(f"stream frame is not JSON: {_excerpt(line)}") from exc
    try:
        frame = frame_from_object(obj)
    except pydantic.ValidationError as exc:
        raise ProtocolError(f"malformed error frame: {_excerpt(line)}") from exc
    if frame is not None:
        return frame
    if isinstance(obj, dict) and len(obj) == 1 and BYTES_FRAME_KEY in obj:
        return DataFrame.model_construct(data=_bytes_item(obj[BYTES_FRAME_KEY], line))
    raise ProtocolError(
        'expected a stream frame {"data": ...}, {"bytes": "..."}, {"end": true} or '
        f'{{"error": {{...}}}}, got {_excerpt(line)}{UNKNOWN_FRAME_HINT}'
    )


def _bytes_item(value: Any, line: str | bytes) -> bytes:
    """The ``bytes`` item of a bytes frame; a value that is not a string of characters U+0000 to
    U+00FF raises ProtocolError."""
    if isinstance(value, str):
        try:
            return value.encode(BYTES_FRAME_ENCODING)
        except UnicodeEncodeError:
            pass
    raise ProtocolError(
        f"malformed bytes frame (not a string of characters U+0000 to U+00FF): {_excerpt(line)}"
    )


def _excerpt(text: str | bytes, limit: int = 200) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")
