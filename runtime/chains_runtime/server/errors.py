"""Error envelopes of the server (the shapes live in ``protocol``)."""

from __future__ import annotations

import traceback

import pydantic

from chains_runtime.client.errors import DependencyError
from chains_runtime.protocol import ErrorDetail, RemoteChainletError, encode_error_envelope

REMOTE_ERROR_STATUS = 502
USER_ERROR_STATUS = 500


def exception_detail(exc: BaseException, chainlet: str, *, include_traceback: bool) -> ErrorDetail:
    """The envelope of an exception raised by ``run_remote``.

    A dependency's ``RemoteChainletError`` keeps the remote details (the failing chainlet, its
    type, message and traceback) with status 502, and so does a dependency that could not be
    reached or timed out (naming it); any other exception is this chainlet's, 500.
    """
    if isinstance(exc, DependencyError):
        # The dependency was unreachable or too slow (after the client's retries): name it.
        return ErrorDetail(
            type=type(exc).__name__,
            message=str(exc),
            chainlet=exc.dependency,
            status=REMOTE_ERROR_STATUS,
        )
    if isinstance(exc, RemoteChainletError):
        return ErrorDetail(
            type=exc.type,
            message=exc.message,
            chainlet=exc.chainlet,
            traceback=exc.traceback if include_traceback else None,
            status=REMOTE_ERROR_STATUS,
        )
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return ErrorDetail(
        type=type(exc).__name__,
        message=str(exc),
        chainlet=chainlet,
        traceback=tb if include_traceback else None,
        status=USER_ERROR_STATUS,
    )


def validation_detail(error: pydantic.ValidationError, chainlet: str) -> ErrorDetail:
    """A 422 envelope naming each bad argument and why."""
    parts = []
    for item in error.errors(include_url=False):
        loc = ".".join(str(part) for part in item["loc"])
        where = f"argument `{loc}`" if loc else "request body"
        parts.append(f"{where}: {item['msg']}")
    return ErrorDetail(
        type="ValidationError",
        message="invalid run_remote arguments: " + "; ".join(parts),
        chainlet=chainlet,
        status=422,
    )


def encode_error(detail: ErrorDetail) -> bytes:
    """The body of a failed response: the envelope around ``detail``."""
    return encode_error_envelope(detail)
