"""What other tools (``chains-build``) use of the linter besides the chain model.

``lint_chain_file`` lints one chain file with the configuration of the project it is in (the
``[tool.chains-lint]`` table of the nearest ``pyproject.toml``), and ``text_report`` renders
the findings as ``chains-lint`` prints them. The chain model itself is ``chains_lint.model``;
shared errors are in ``chains_lint.errors``.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from chains_lint.config import ConfigError, find_pyproject, load_config, search_start
from chains_lint.linter import LintResult, lint_files
from chains_lint.output import FORMATTERS
from chains_lint.profiles import Profile

__all__ = ["ConfigError", "LintResult", "lint_chain_file", "text_report"]


def lint_chain_file(path: Path, *, profile: Profile = "default") -> LintResult:
    """Lint ``path`` with its project's configuration and ``profile``; ConfigError when that
    configuration is invalid."""
    config = load_config(find_pyproject(search_start([path], Path.cwd())))
    return lint_files([path], dataclasses.replace(config, profile=profile))


def text_report(result: LintResult) -> str:
    """The findings of ``result`` as ``chains-lint``'s text output."""
    return FORMATTERS["text"](result.diagnostics, result.modules)
