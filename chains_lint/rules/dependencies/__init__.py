"""Dependency rules (CH401-CH449): ``depends()``, ``__init__`` signatures and the graph."""

from __future__ import annotations

from chains_lint.rules.base import Rule
from chains_lint.rules.dependencies.annotation_mismatch import DependencyAnnotationMismatchRule
from chains_lint.rules.dependencies.chainlet_instantiated import ChainletInstantiatedRule
from chains_lint.rules.dependencies.context_param import ContextParamInvalidRule
from chains_lint.rules.dependencies.dependency_cycle import DependencyCycleRule
from chains_lint.rules.dependencies.depends_before_definition import DependsBeforeDefinitionRule
from chains_lint.rules.dependencies.depends_option_rules import (
    DependsOptionInvalidRule,
    DependsOptionNotLiteralRule,
    DependsUnknownOptionRule,
)
from chains_lint.rules.dependencies.depends_outside_init import DependsOutsideInitRule
from chains_lint.rules.dependencies.depends_target import (
    DependsTargetInvalidRule,
    DependsTargetNotChainletRule,
    DependsTargetUndefinedRule,
)
from chains_lint.rules.dependencies.duplicate_dependency import DuplicateDependencyRule
from chains_lint.rules.dependencies.init_param_not_dependency import InitParamNotDependencyRule
from chains_lint.rules.dependencies.model_dependencies import ModelDependencyRule
from chains_lint.rules.dependencies.websocket_dependency import WebSocketDependencyRule

RULES: tuple[type[Rule], ...] = (
    DependsTargetUndefinedRule,
    DependsTargetNotChainletRule,
    DependsTargetInvalidRule,
    DependsOutsideInitRule,
    InitParamNotDependencyRule,
    ContextParamInvalidRule,
    DependsUnknownOptionRule,
    DependsOptionInvalidRule,
    DependsOptionNotLiteralRule,
    DependencyCycleRule,
    ChainletInstantiatedRule,
    DuplicateDependencyRule,
    DependencyAnnotationMismatchRule,
    DependsBeforeDefinitionRule,
    ModelDependencyRule,
    WebSocketDependencyRule,
)
