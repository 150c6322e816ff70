"""Output formats for diagnostics."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Protocol

from chains_lint.diagnostics import Diagnostic


class ReportedFile(Protocol):
    """A linted file as the formats see it (a ``ModuleInfo``, or a file read from the cache)."""

    @property
    def display_path(self) -> str: ...

    def line_text(self, line: int) -> str: ...


Formatter = Callable[[Sequence[Diagnostic], Sequence[ReportedFile]], str]


_FORMAT_MODULES = {
    "text": "chains_lint.output.text",
    "json": "chains_lint.output.json_format",
    "github": "chains_lint.output.github",
    "sarif": "chains_lint.output.sarif",
}


class _Formatters(Mapping[str, Formatter]):
    """Format name -> ``render``; a format's module is imported when it is first used."""

    def __getitem__(self, name: str) -> Formatter:
        render: Formatter = importlib.import_module(_FORMAT_MODULES[name]).render
        return render

    def __iter__(self) -> Iterator[str]:
        return iter(_FORMAT_MODULES)

    def __len__(self) -> int:
        return len(_FORMAT_MODULES)


FORMATTERS: Mapping[str, Formatter] = _Formatters()
