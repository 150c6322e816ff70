"""chains-lint: a static checker for Chains (multi-step inference pipelines).

The public API: lint files (:func:`lint_paths`, :func:`lint_files`) or build
the chain model alone (:func:`analyse`), which ``chains-build`` consumes.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from chains_lint.analysis import Analysis, LintTarget, analyse
    from chains_lint.config import Config, ConfigError
    from chains_lint.diagnostics import Diagnostic, Severity, Span
    from chains_lint.discovery import discover
    from chains_lint.errors import UsageError
    from chains_lint.linter import LintResult, lint_files, lint_paths
    from chains_lint.model.types import Chain, Chainlet, ChainModel

# Imported on first use: the command line answers from its cache without
# importing libcst or the rules, which is most of its start-up time.
_PUBLIC_MODULES = {
    "Analysis": "chains_lint.analysis",
    "LintTarget": "chains_lint.analysis",
    "analyse": "chains_lint.analysis",
    "Config": "chains_lint.config",
    "ConfigError": "chains_lint.config",
    "Diagnostic": "chains_lint.diagnostics",
    "Severity": "chains_lint.diagnostics",
    "Span": "chains_lint.diagnostics",
    "UsageError": "chains_lint.errors",
    "discover": "chains_lint.discovery",
    "LintResult": "chains_lint.linter",
    "lint_files": "chains_lint.linter",
    "lint_paths": "chains_lint.linter",
    "Chain": "chains_lint.model.types",
    "Chainlet": "chains_lint.model.types",
    "ChainModel": "chains_lint.model.types",
}


def __getattr__(name: str) -> Any:
    module = _PUBLIC_MODULES.get(name)
    if module is None:
        raise AttributeError(f"module 'chains_lint' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = [
    "Analysis",
    "Chain",
    "ChainModel",
    "Chainlet",
    "Config",
    "ConfigError",
    "Diagnostic",
    "LintResult",
    "LintTarget",
    "Severity",
    "Span",
    "UsageError",
    "__version__",
    "analyse",
    "discover",
    "lint_files",
    "lint_paths",
]
