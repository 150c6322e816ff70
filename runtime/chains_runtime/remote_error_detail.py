"""``RemoteErrorDetail``: a dependency's error described with truss's fields.

truss puts this model in its error answers; chains_runtime's envelope is ``ErrorDetail``
(docs/protocol.md), and ``RemoteChainletError.remote_error_detail`` translates one into the
other, so code written against truss's fields (``exception_cls_name``, ``exception_message``,
``user_stack_trace``, ``format()``) works on a dependency's error here.
"""

from __future__ import annotations

import builtins
import re
import traceback
from typing import TYPE_CHECKING

import pydantic

if TYPE_CHECKING:
    from chains_runtime.protocol import RemoteChainletError

_FRAME_LINE = re.compile(r'^  File "(?P<filename>[^"]*)", line (?P<lineno>\d+), in (?P<name>.*)$')
_CARETS = re.compile(r"^\s*[~^]+\s*$")
_RUNTIME_FILES = re.compile(r"[/\\]chains_runtime[/\\]")
_TRACEBACK_START = "Traceback (most recent call last):"


class RemoteErrorDetail(pydantic.BaseModel):
    """A remote chainlet's error: its class, module, message and the user code's stack."""

    model_config = pydantic.ConfigDict(frozen=True)

    class StackFrame(pydantic.BaseModel):
        model_config = pydantic.ConfigDict(frozen=True)

        filename: str
        lineno: int | None
        name: str
        line: str | None

        @classmethod
        def from_frame_summary(cls, frame: traceback.FrameSummary) -> RemoteErrorDetail.StackFrame:
            return cls(
                filename=frame.filename, lineno=frame.lineno, name=frame.name, line=frame.line
            )

        def to_frame_summary(self) -> traceback.FrameSummary:
            return traceback.FrameSummary(
                self.filename, self.lineno, self.name, lookup_line=False, line=self.line
            )

    exception_cls_name: str
    exception_module_name: str | None
    exception_message: str
    user_stack_trace: list[StackFrame]

    @classmethod
    def from_error(cls, error: RemoteChainletError) -> RemoteErrorDetail:
        """The detail of a dependency's error. The envelope carries the class name but not its
        module: a built-in exception's module is ``builtins``, any other's is None. The stack
        is the remote traceback's frames of user code (empty when the remote chainlet does not
        send tracebacks)."""
        builtin = getattr(builtins, error.type, None)
        is_builtin = isinstance(builtin, type) and issubclass(builtin, BaseException)
        return cls(
            exception_cls_name=error.type,
            exception_module_name="builtins" if is_builtin else None,
            exception_message=error.message,
            user_stack_trace=user_frames(error.traceback or ""),
        )

    def format(self) -> str:
        """The error as Python prints an exception, under a ``Chainlet-Traceback`` title."""
        summary = traceback.StackSummary.from_list(
            [frame.to_frame_summary() for frame in self.user_stack_trace]
        )
        stack = "".join(traceback.format_list(summary))
        defined_in = (
            f"\n(Exception class defined in `{self.exception_module_name}`.)"
            if self.exception_module_name
            else ""
        )
        return (
            "Chainlet-Traceback (most recent call last):\n"
            f"{stack}{self.exception_cls_name}: {self.exception_message}{defined_in}"
        )


def user_frames(traceback_text: str) -> list[RemoteErrorDetail.StackFrame]:
    """The frames of the last traceback in ``traceback_text`` (the exception that was raised,
    after any it was chained to), without chains_runtime's own frames."""
    lines = traceback_text.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == _TRACEBACK_START]
    if starts:
        lines = lines[starts[-1] + 1 :]
    frames: list[RemoteErrorDetail.StackFrame] = []
    for index, line in enumerate(lines):
        match = _FRAME_LINE.match(line)
        if match is None or _RUNTIME_FILES.search(match["filename"]):
            continue
        following = lines[index + 1] if index + 1 < len(lines) else ""
        is_code = following.startswith("    ") and not _CARETS.match(following)
        frames.append(
            RemoteErrorDetail.StackFrame(
                filename=match["filename"],
                lineno=int(match["lineno"]),
                name=match["name"],
                line=following.strip() if is_code else None,
            )
        )
    return frames
