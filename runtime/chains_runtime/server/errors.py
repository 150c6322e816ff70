"""Error envelopes of the server (the shapes live in ``protocol``).

Status rule across hops (docs/protocol.md, section 3): an exception raised in user code anywhere
down the chain is 500 at every hop, its envelope naming the chainlet where it was raised, so no
proxy or client retries a deterministic failure. 502 only when a dependency could not be reached
or answered something that is not a chain envelope; 504 when a dependency timed out or the
call's deadline ran out.
"""

from __future__ import annotations

import traceback
from typing import Final

import pydantic

from chains_runtime.client.errors import (
    DeadlineExceededError,
    DependencyError,
    DependencyHTTPError,
    DependencyTimeoutError,
)
from chains_runtime.protocol import (
    DEADLINE_EXCEEDED,
    ErrorDetail,
    ProtocolError,
    RemoteChainletError,
    encode_error_envelope,
)
from chains_runtime.server.cancellation import DeadlineExceeded

USER_ERROR_STATUS: Final = 500
BAD_GATEWAY_STATUS: Final = 502
TIMEOUT_STATUS: Final = 504


def passed_on_status(remote_status: int) -> int:
    """The status a chainlet answers with when a dependency's envelope had ``remote_status``.

    A dependency's deadline or timeout (504) stays 504; a dependency that could not serve the
    call (502, or 503 after the retries) is 502; anything else (a user error, or a 4xx, which
    is the calling code's fault) is 500.
    """
    if remote_status == TIMEOUT_STATUS:
        return TIMEOUT_STATUS
    if remote_status in (BAD_GATEWAY_STATUS, 503):
        return BAD_GATEWAY_STATUS
    return USER_ERROR_STATUS


def exception_detail(exc: BaseException, chainlet: str, *, include_traceback: bool) -> ErrorDetail:
    """The envelope of an exception raised by ``run_remote`` (see the module docstring).

    A dependency's ``RemoteChainletError`` keeps the remote details (the chainlet where the error
    was raised, its type, message and traceback) with the status ``passed_on_status`` gives. A
    dependency that could not be reached (502) or timed out (504) is named as the chainlet; the
    call's deadline running out while waiting on a dependency is this chainlet's 504
    ``DeadlineExceeded``. Any other exception is this chainlet's user error, 500.
    """
    if isinstance(exc, DeadlineExceeded | DeadlineExceededError):
        return ErrorDetail(
            type=DEADLINE_EXCEEDED, message=str(exc), chainlet=chainlet, status=TIMEOUT_STATUS
        )
    if isinstance(exc, DependencyError):
        # The dependency was unreachable or too slow (after the client's retries): name it.
        status = TIMEOUT_STATUS if isinstance(exc, DependencyTimeoutError) else BAD_GATEWAY_STATUS
        return ErrorDetail(
            type=type(exc).__name__, message=str(exc), chainlet=exc.dependency, status=status
        )
    if isinstance(exc, DependencyHTTPError):  # an answer without a chain envelope
        return ErrorDetail(
            type=exc.type, message=exc.message, chainlet=exc.chainlet, status=BAD_GATEWAY_STATUS
        )
    if isinstance(exc, RemoteChainletError):
        return ErrorDetail(
            type=exc.type,
            message=exc.message,
            chainlet=exc.chainlet,
            traceback=exc.traceback if include_traceback else None,
            status=passed_on_status(exc.status),
        )
    tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    # A ProtocolError: a dependency's answer broke the protocol (not a chain envelope).
    status = BAD_GATEWAY_STATUS if isinstance(exc, ProtocolError) else USER_ERROR_STATUS
    return ErrorDetail(
        type=type(exc).__name__,
        message=str(exc),
        chainlet=chainlet,
        traceback=tb if include_traceback else None,
        status=status,
    )


def validation_detail(error: pydantic.ValidationError, chainlet: str, endpoint: str) -> ErrorDetail:
    """A 422 envelope naming the ``endpoint`` (``run_remote``, or a model's ``predict``) and
    each bad argument and why."""
    return ErrorDetail(
        type="ValidationError",
        message=f"{invalid_arguments(endpoint)}: {argument_problems(error)}",
        chainlet=chainlet,
        status=422,
    )


def invalid_arguments(endpoint: str) -> str:
    """How a 422 message starts: ``invalid predict arguments``."""
    return f"invalid {endpoint} arguments"


def argument_problems(error: pydantic.ValidationError) -> str:
    """Each bad argument and why: ``argument `x`: Field required; ...``."""
    parts = []
    for item in error.errors(include_url=False):
        loc = ".".join(str(part) for part in item["loc"])
        where = f"argument `{loc}`" if loc else "request body"
        parts.append(f"{where}: {item['msg']}")
    return "; ".join(parts)


def encode_error(detail: ErrorDetail) -> bytes:
    """The body of a failed response: the envelope around ``detail``."""
    return encode_error_envelope(detail)
