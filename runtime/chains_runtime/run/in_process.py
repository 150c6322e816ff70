"""``chains-run --in-process``: the whole chain in this process through ``run_local``.

The result goes through the same encoders as the server's response (the return annotation's
``TypeAdapter``, or ``output.stream_item_json`` for stream items), so stdout is byte-identical to a
run over HTTP. A failure is reported like a remote one: the chainlet whose code raised (the
innermost chainlet method on the traceback), the exception type, message and traceback.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
import traceback
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from types import FrameType, TracebackType
from typing import Any

import chains_runtime
from chains_runtime.chainlet import ChainletBase
from chains_runtime.local import run_local
from chains_runtime.run.discovery import Chain
from chains_runtime.run.inputs import CallInput
from chains_runtime.run.output import (
    OutputClosedError,
    UnprintableItemError,
    stream_item_json,
)
from chains_runtime.server.signature import RunRemoteSpec

_RUNTIME_DIR = os.path.dirname(os.path.abspath(chains_runtime.__file__))


class DataDirConflictError(chains_runtime.ChainsUsageError):
    """Chainlets declare different data folders, and one process can only give one."""


class CallTimeoutError(Exception):
    """The call did not finish within ``--timeout``."""


class _Deadline(BaseException):
    """Raised into a sync ``run_remote`` by SIGALRM; a BaseException, so ``except Exception``
    in the chain does not swallow it."""


class ChainletFailure(Exception):
    """A chainlet raised, while being built or called."""

    def __init__(
        self, *, chainlet: str, type: str, message: str, traceback: str, during_init: bool
    ) -> None:
        super().__init__(chainlet, type, message)
        self.chainlet = chainlet
        self.type = type
        self.message = message
        self.traceback = traceback
        self.during_init = during_init


def data_dir_of(chainlet_cls: type[ChainletBase]) -> Path | None:
    """The chainlet's ``docker_image.data_dir``, absolute (a relative one is against its file)."""
    value = chainlet_cls.remote_config.docker_image.data_dir
    if value is None:
        return None
    path = Path(os.fspath(value))
    if path.is_absolute():
        return path
    module_file = getattr(sys.modules.get(chainlet_cls.__module__), "__file__", None)
    base = Path(module_file).parent if module_file else Path.cwd()
    return (base / path).resolve()


def shared_data_dir(chain: Chain) -> Path | None:
    """The one data folder of the chain; DataDirConflictError if chainlets declare several."""
    declared = {cls.__name__: data_dir_of(cls) for cls in chain.chainlets}
    folders = {path for path in declared.values() if path is not None}
    if len(folders) > 1:
        listed = ", ".join(f"`{name}`: {path}" for name, path in declared.items() if path)
        raise DataDirConflictError(
            f"chainlets declare different data_dir folders ({listed}), but --in-process runs "
            "them in one process with one data folder; run without --in-process"
        )
    return next(iter(folders), None)


def run_in_process(
    chain: Chain,
    call_input: CallInput,
    secrets: dict[str, str],
    emit: Callable[[Any], None],
    timeout: float | None = None,
) -> None:
    """Build the chain, call the entrypoint and ``emit`` each result.

    Raises ChainletFailure when a chainlet raises, CallTimeoutError after ``timeout`` seconds.
    """
    data_dir = shared_data_dir(chain)
    entry = chain.entrypoint
    spec = RunRemoteSpec.from_chainlet(entry)
    try:
        with run_local(secrets=secrets, data_dir=data_dir):
            instance = entry()
    except Exception as exc:
        raise _failure(exc, entry.__name__, during_init=True) from None
    method = instance.run_remote  # type: ignore[attr-defined]
    kwargs = call_input.validated
    try:
        if spec.is_stream:
            stream = _stream(method(**kwargs), emit, entry.__name__)
            asyncio.run(asyncio.wait_for(stream, timeout))
            return
        if spec.is_async:
            result = asyncio.run(asyncio.wait_for(method(**kwargs), timeout))
        else:  # on this thread, as it is, so Ctrl-C interrupts it
            result = _call_sync(lambda: method(**kwargs), timeout)
        encoded = spec.encode_result(result)
    except (asyncio.TimeoutError, _Deadline):
        raise CallTimeoutError(
            f"the call to `{entry.__name__}` did not finish within {timeout:g} s (--timeout)"
        ) from None
    except (OutputClosedError, UnprintableItemError):
        raise
    except Exception as exc:
        raise _failure(exc, entry.__name__, during_init=False) from None
    emit(json.loads(encoded))


def _call_sync(call: Callable[[], Any], timeout: float | None) -> Any:
    if timeout is None:
        return call()

    def on_alarm(signum: int, frame: FrameType | None) -> None:
        raise _Deadline

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    try:
        return call()
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


async def _stream(items: AsyncIterator[Any], emit: Callable[[Any], None], entrypoint: str) -> None:
    async for item in items:
        emit(stream_item_json(item, entrypoint))


def _failure(exc: Exception, default_chainlet: str, *, during_init: bool) -> ChainletFailure:
    chainlet = _raising_chainlet(exc.__traceback__) or default_chainlet
    # Start the traceback at the first chainlet method of the chain's own code.
    frames = exc.__traceback__
    while frames is not None and not _is_user_chainlet_frame(frames):
        frames = frames.tb_next
    text = "".join(traceback.format_exception(type(exc), exc, frames or exc.__traceback__))
    return ChainletFailure(
        chainlet=chainlet,
        type=type(exc).__name__,
        message=str(exc),
        traceback=text,
        during_init=during_init,
    )


def _chainlet_self(frames: TracebackType) -> ChainletBase | None:
    """The chainlet whose method runs in this traceback entry (its first argument), if any."""
    code = frames.tb_frame.f_code
    if not code.co_argcount:
        return None
    first = frames.tb_frame.f_locals.get(code.co_varnames[0])
    return first if isinstance(first, ChainletBase) else None


def _is_user_chainlet_frame(frames: TracebackType) -> bool:
    filename = frames.tb_frame.f_code.co_filename
    return _chainlet_self(frames) is not None and not filename.startswith(_RUNTIME_DIR)


def _raising_chainlet(frames: TracebackType | None) -> str | None:
    """The class of the innermost chainlet method on the traceback."""
    found = None
    while frames is not None:
        instance = _chainlet_self(frames)
        if instance is not None:
            found = type(instance).__name__
        frames = frames.tb_next
    return found
