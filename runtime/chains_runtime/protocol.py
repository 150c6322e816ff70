"""The wire protocol between chainlets, shared by the dependency client and the server harness.

One call is ``POST /run_remote`` with a JSON object of ``run_remote`` arguments by name. Only the
arguments the caller passed are sent: an omitted argument takes the callee's own default, it is
never sent as ``null``.

- Success: HTTP 200 and the JSON result.
- Failure: a non-2xx status and an error envelope,
  ``{"error": {"type", "message", "chainlet", "traceback", "status"}}``.
- Streaming: HTTP 200 and newline-delimited JSON frames (``application/x-ndjson``):
  ``{"data": item}`` for each item, then exactly one ``{"end": true}``. A failure midway sends
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
    """One stream frame; a NaN or infinite float in ``item`` raises ``NonFiniteFloatError``."""
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
    """Decode one stream line; raise ProtocolError if it is not a frame."""
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
    raise ProtocolError(
        'expected a stream frame {"data": ...}, {"end": true} or {"error": {...}}, '
        f"got {_excerpt(line)}"
    )


def _excerpt(text: str | bytes, limit: int = 200) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", errors="replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")
