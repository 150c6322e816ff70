"""chains-lint: a static checker for Chains (multi-step inference pipelines).

The public API: lint files (:func:`lint_paths`, :func:`lint_files`) or build
the chain model alone (:func:`analyse`), which ``chains-build`` consumes.
"""

from __future__ import annotations

# Set before the imports below: some of those modules read it from the package.
__version__ = "0.1.0"

from chains_lint.analysis import Analysis, LintTarget, analyse
from chains_lint.config import Config, ConfigError
from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.discovery import UsageError, discover
from chains_lint.linter import LintResult, lint_files, lint_paths
from chains_lint.model.types import Chain, Chainlet, ChainModel

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
