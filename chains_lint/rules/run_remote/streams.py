"""What a ``run_remote`` return annotation says about streaming."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from chains_lint.model.namespace import Namespace
from chains_lint.model.types import FunctionInfo, TypeExpr, TypeKind

_TYPING_MODULES = ("typing", "typing_extensions", "collections.abc")
# Modules whose names are all known here: a name from them that is not a
# stream type is certainly not one (unlike a name from an unknown library,
# which may be an alias of ``AsyncIterator[...]``).
_KNOWN_MODULES = frozenset({"builtins", "types", "collections", *_TYPING_MODULES})


class StreamKind(enum.Enum):
    ASYNC = "async"  # AsyncIterator / AsyncGenerator
    SYNC = "sync"  # Iterator / Generator
    NOT_STREAM = "not_stream"  # certainly not a stream type (str, None, a model...)
    UNKNOWN = "unknown"  # cannot tell statically (an alias, an unknown library name)


def _stream_names(*names: str) -> frozenset[str]:
    return frozenset(f"{module}.{name}" for module in _TYPING_MODULES for name in names)


_ASYNC_STREAMS = _stream_names("AsyncIterator", "AsyncGenerator")
_SYNC_STREAMS = _stream_names("Iterator", "Generator")
GENERATORS = _stream_names("AsyncGenerator", "Generator")


@dataclass(frozen=True)
class StreamType:
    kind: StreamKind
    head: str | None  # canonical qualified name of the annotation's head
    annotation: TypeExpr  # the annotation as read (inside the quotes for strings)

    @property
    def is_stream(self) -> bool:
        return self.kind in (StreamKind.ASYNC, StreamKind.SYNC)


def stream_type(namespace: Namespace, returns: TypeExpr) -> StreamType:
    """What a return annotation says about streaming."""
    annotation = returns
    if annotation.kind is TypeKind.STRING:
        if annotation.inner is None:
            return StreamType(StreamKind.UNKNOWN, None, returns)
        annotation = annotation.inner
    if annotation.kind in (TypeKind.NONE, TypeKind.UNION):
        return StreamType(StreamKind.NOT_STREAM, None, annotation)
    if annotation.kind not in (TypeKind.NAME, TypeKind.SUBSCRIPT):
        return StreamType(StreamKind.UNKNOWN, None, annotation)
    head = namespace.canonical(annotation.qualified)
    if head is None:
        return StreamType(StreamKind.UNKNOWN, None, annotation)
    if head in _ASYNC_STREAMS:
        return StreamType(StreamKind.ASYNC, head, annotation)
    if head in _SYNC_STREAMS:
        return StreamType(StreamKind.SYNC, head, annotation)
    known = head.rpartition(".")[0] in _KNOWN_MODULES or namespace.find_class(head) is not None
    return StreamType(StreamKind.NOT_STREAM if known else StreamKind.UNKNOWN, head, annotation)


def item_text(annotation: TypeExpr) -> str:
    """The item type of a stream annotation, for suggestions (``str`` when unknown)."""
    if annotation.kind is TypeKind.SUBSCRIPT and annotation.args:
        return annotation.args[0].text
    return "str"


def stream_example(function: FunctionInfo, item: str = "str") -> str:
    return f"AsyncIterator[{item}]" if function.is_async else f"Iterator[{item}]"
