"""Send a streaming ``run_remote`` as NDJSON frames: data frames, then an end or an error frame.

The client may leave at any time; uvicorn then drops what is sent without telling, so a task
watches ``receive`` for the disconnect and stops the stream at once (the caller then closes the
user's generator and frees the concurrency slot).
"""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from time import monotonic
from typing import Any, Final, Literal

import anyio
from starlette.types import Receive, Send

from chains_runtime import binary
from chains_runtime.protocol import (
    END_FRAME,
    MSGPACK_STREAM_CONTENT_TYPE,
    STREAM_CONTENT_TYPE,
    ErrorDetail,
    encode_data_frame,
    encode_error_frame,
)
from chains_runtime.server.asgi import Headers, wait_for_disconnect

StreamOutcome = Literal["complete", "error", "disconnected"]

COMPLETE: Final[StreamOutcome] = "complete"
ERROR: Final[StreamOutcome] = "error"
DISCONNECTED: Final[StreamOutcome] = "disconnected"


@dataclass(frozen=True)
class Framing:
    """How a stream's frames are written: NDJSON lines, or length-prefixed MessagePack."""

    content_type: tuple[bytes, bytes]
    data: Callable[[Any], bytes]
    end: bytes
    error: Callable[[ErrorDetail], bytes]


NDJSON_FRAMING: Final = Framing(
    (b"content-type", STREAM_CONTENT_TYPE.encode("latin-1")),
    encode_data_frame,
    END_FRAME,
    encode_error_frame,
)
MSGPACK_FRAMING: Final = Framing(
    (b"content-type", MSGPACK_STREAM_CONTENT_TYPE.encode("latin-1")),
    binary.encode_data_frame,
    binary.END_FRAME,
    binary.encode_error_frame,
)


async def send_stream(
    stream: AsyncIterator[Any],
    *,
    receive: Receive,
    send: Send,
    headers: Headers,
    error_frame: Callable[[Exception], bytes],
    finished: Callable[[], None],
    deadline: float | None = None,
    expired: Callable[[], Exception] | None = None,
    framing: Framing = NDJSON_FRAMING,
) -> StreamOutcome:
    """Send ``stream`` as the response body, in ``framing``; says how it ended.

    An exception from the stream (or an item that cannot be encoded) becomes the error frame
    ``error_frame(exc)`` and no end frame is sent, so a failed stream never looks complete.
    ``finished()`` runs once the stream is exhausted or failed, before the last frame is sent:
    a caller that has read the last frame finds the chainlet's slot free again. The whole
    stream must end by ``deadline`` (``time.monotonic()`` seconds): past it the stream is
    stopped and its last frame is ``error_frame(expired())``.
    """
    outcome: StreamOutcome = DISCONNECTED
    async with anyio.create_task_group() as watcher:

        async def stop_when_gone() -> None:
            await wait_for_disconnect(receive)
            watcher.cancel_scope.cancel()

        watcher.start_soon(stop_when_gone)
        outcome = await _send_frames(
            stream, send, headers, error_frame, finished, deadline, expired, framing
        )
        watcher.cancel_scope.cancel()
    return outcome


async def _send_frames(
    stream: AsyncIterator[Any],
    send: Send,
    headers: Headers,
    error_frame: Callable[[Exception], bytes],
    finished: Callable[[], None],
    deadline: float | None,
    expired: Callable[[], Exception] | None,
    framing: Framing,
) -> StreamOutcome:
    try:
        await send({"type": "http.response.start", "status": 200, "headers": headers})
    except OSError:
        return DISCONNECTED
    iterator = stream.__aiter__()
    encode, last, outcome = framing.data, framing.end, COMPLETE
    ends_at = math.inf if deadline is None else anyio.current_time() + deadline - monotonic()
    with anyio.CancelScope(deadline=ends_at) as scope:
        while True:
            try:  # only the user's stream and the encoding: a failure here is the stream's
                frame = encode(await iterator.__anext__())
            except StopAsyncIteration:
                break
            except Exception as exc:
                last, outcome = error_frame(exc), ERROR
                break
            try:
                await send({"type": "http.response.body", "body": frame, "more_body": True})
            except OSError:
                return DISCONNECTED
    if scope.cancelled_caught:  # the deadline passed
        last = error_frame(expired() if expired is not None else TimeoutError("deadline"))
        outcome = ERROR
    finished()
    try:
        await send({"type": "http.response.body", "body": last})
    except OSError:
        return DISCONNECTED
    return outcome
