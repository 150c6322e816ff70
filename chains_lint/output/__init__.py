"""Output formats for diagnostics."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from chains_lint.diagnostics import Diagnostic
from chains_lint.model.module import ModuleInfo
from chains_lint.output import github, json_format, sarif, text

Formatter = Callable[[Sequence[Diagnostic], Sequence[ModuleInfo]], str]

FORMATTERS: dict[str, Formatter] = {
    "text": text.render,
    "json": json_format.render,
    "github": github.render,
    "sarif": sarif.render,
}
