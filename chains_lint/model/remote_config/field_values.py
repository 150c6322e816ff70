"""Reading one field of ``remote_config`` from literals, noting what cannot be read."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import libcst as cst

from chains_lint.diagnostics import Span
from chains_lint.model.namespace import Namespace
from chains_lint.model.remote_config.calls import ConfigCall, Located, is_unreadable, resolve
from chains_lint.model.remote_config.enums import truss_enum_value
from chains_lint.model.remote_config.paths import abs_path_argument, absolute_path, resolve_path
from chains_lint.model.types import ConfigObject, LiteralValue

_T = TypeVar("_T")


class FieldValues:
    """Reads field values; a value present but not readable is added to ``unread``."""

    def __init__(self, namespace: Namespace, unread: list[tuple[str, Span]]) -> None:
        self.namespace = namespace
        self.unread = unread

    # -- single values ------------------------------------------------------------

    def string(self, path: str, located: Located) -> str | None:
        if self.unread_if_not_literal(path, located):
            return None
        literal = located.value.literal
        return literal if isinstance(literal, str) else None

    def path(self, path: str, located: Located) -> str | None:
        resolved = resolve_path(self.namespace, located)
        if resolved is not None:
            return resolved
        inner = abs_path_argument(self.namespace, located)
        if inner is not None:
            self.unread_if_not_literal(path, inner)
        elif is_unreadable(self.namespace, located):
            self.add_unread(path, located.value.span)
        return None

    def object(self, path: str, located: Located) -> ConfigObject | None:
        """A dict display, or a call such as ``ModelRepo(...)`` with its keyword arguments."""
        value = located.value
        if isinstance(value.literal, dict):
            return ConfigObject(None, dict(value.literal))
        if value.is_literal:
            return None
        call = value.call
        if call is None or call.callee is None:
            self.add_unread(path, value.span)
            return None
        found = ConfigObject(call.callee.rpartition(".")[2])
        if call.has_star_args or call.args:
            self.add_unread(path, value.span)
        for key, argument in call.kwargs:
            item = resolve(self.namespace, located.module, argument).value
            if item.is_literal:
                found.fields[key] = item.literal  # type: ignore[assignment]
                continue
            member = truss_enum_value(self.namespace, item)
            if member is None:
                self.add_unread(f"{path}.{key}", argument.span)
            else:
                found.fields[key] = member
        return found

    # -- lists ----------------------------------------------------------------------

    def strings(self, path: str, located: Located) -> list[str] | None:
        """A list (or tuple) of strings; None when the value is not a sequence."""
        return self._sequence(
            path, located, self.string, lambda items: [i for i in items if isinstance(i, str)]
        )

    def paths(self, path: str, located: Located) -> list[str]:
        def from_literal(items: Sequence[LiteralValue]) -> list[str]:
            return [absolute_path(located.module, i) for i in items if isinstance(i, str)]

        return self._sequence(path, located, self.path, from_literal) or []

    def objects(self, path: str, located: Located) -> list[ConfigObject]:
        def from_literal(items: Sequence[LiteralValue]) -> list[ConfigObject]:
            return [ConfigObject(None, dict(i)) for i in items if isinstance(i, dict)]

        return self._sequence(path, located, self.object, from_literal) or []

    def _sequence(
        self,
        path: str,
        located: Located,
        read_item: Callable[[str, Located], _T | None],
        from_literal: Callable[[Sequence[LiteralValue]], list[_T]],
    ) -> list[_T] | None:
        """The items of a list (or tuple) value.

        A literal list goes to ``from_literal``; the items of any other list display are
        each read with ``read_item`` (at ``path[index]``). None when the value is not a
        sequence.
        """
        value = located.value
        if isinstance(value.literal, (list, tuple)):
            return from_literal(value.literal)
        if value.elements is None:
            if is_unreadable(self.namespace, located):
                self.add_unread(path, value.span)
            return None
        if _has_starred_item(value.node):
            # ``[*MORE, "k"]``: the starred part cannot be read.
            self.add_unread(f"{path}[*]", value.span)
        items: list[_T] = []
        for index, element in enumerate(value.elements):
            item = read_item(f"{path}[{index}]", resolve(self.namespace, located.module, element))
            if item is not None:
                items.append(item)
        return items

    # -- bookkeeping ------------------------------------------------------------------

    def unread_if_not_literal(self, path: str, located: Located) -> bool:
        """Record ``path`` as unread when its value is not a literal; True if not a literal."""
        if located.value.is_literal:
            return False
        if is_unreadable(self.namespace, located):
            self.add_unread(path, located.value.span)
        return True

    def note_star_args(self, call: ConfigCall) -> None:
        if call.call.has_star_args:
            self.add_unread(call.field_path("**"), call.value.span)

    def add_unread(self, path: str, span: Span) -> None:
        # Compares the path first, so a span's coordinates are only computed for a repeat.
        entry = (path, span)
        if entry not in self.unread:
            self.unread.append(entry)


def _has_starred_item(node: cst.BaseExpression) -> bool:
    elements = getattr(node, "elements", ())
    return any(isinstance(element, cst.StarredElement) for element in elements)
