"""Entrypoint rules (CH301-CH349): which chainlet a chain file starts from."""

from __future__ import annotations

from chains_lint.rules.base import Rule
from chains_lint.rules.entrypoint.entrypoint_arguments import (
    EntrypointArgumentsRule,
    EntrypointNameNotLiteralRule,
)
from chains_lint.rules.entrypoint.entrypoint_not_chainlet import EntrypointNotChainletRule
from chains_lint.rules.entrypoint.missing_entrypoint import MissingEntrypointRule
from chains_lint.rules.entrypoint.multiple_entrypoints import MultipleEntrypointsRule
from chains_lint.rules.entrypoint.multiple_models import MultipleModelsRule
from chains_lint.rules.entrypoint.nested_chainlet import NestedChainletRule
from chains_lint.rules.entrypoint.truss_imported_chainlets import TrussImportedChainletsRule

RULES: tuple[type[Rule], ...] = (
    MultipleEntrypointsRule,
    EntrypointArgumentsRule,
    EntrypointNameNotLiteralRule,
    EntrypointNotChainletRule,
    MissingEntrypointRule,
    TrussImportedChainletsRule,
    NestedChainletRule,
    MultipleModelsRule,
)
