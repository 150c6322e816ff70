"""What a dependency call goes to: the callee chainlet's ``run_remote``."""

from __future__ import annotations

import weakref
from dataclasses import dataclass
from typing import Literal

from chains_lint.model.dependency_calls import RUN_REMOTE
from chains_lint.model.module import ModuleInfo
from chains_lint.model.types import Chainlet, ChainModel, DependencyCall, FunctionInfo
from chains_lint.rules.base import RuleContext

_MAX_CALL_TEXT = 60

CalleeKind = Literal["async", "sync", "async_stream", "sync_stream"]

_MODULES_BY_PATH: weakref.WeakKeyDictionary[ChainModel, dict[str, ModuleInfo]] = (
    weakref.WeakKeyDictionary()
)


@dataclass(frozen=True)
class Callee:
    chainlet: Chainlet
    function: FunctionInfo

    @property
    def kind(self) -> CalleeKind:
        if self.function.yields:
            return "async_stream" if self.function.is_async else "sync_stream"
        return "async" if self.function.is_async else "sync"

    @property
    def name(self) -> str:
        return f"{self.chainlet.name}.run_remote"


def callee_of(ctx: RuleContext, call: DependencyCall) -> Callee | None:
    chainlet = ctx.model.chainlet_for(call.dependency.target_qualified)
    if chainlet is None or chainlet.run_remote is None:
        return None
    return Callee(chainlet, chainlet.run_remote)


def call_text(ctx: RuleContext, call: DependencyCall) -> str:
    """The call as written, shortened; ``SayHello.run_remote(...)`` when multi-line."""
    span = call.span
    module = _module_at(ctx.model, span.path)
    if module is not None and span.line == span.end_line:
        text = module.line_text(span.line)[span.column - 1 : span.end_column - 1]
        marker = f"{RUN_REMOTE}("
        if len(text) > _MAX_CALL_TEXT and marker in text:
            text = text[: text.index(marker) + len(marker)] + "...)"
        if text:
            return text
    target = call.dependency.target.text if call.dependency.target else "dependency"
    return f"{target}.run_remote(...)"


def _module_at(model: ChainModel, display_path: str) -> ModuleInfo | None:
    modules = _MODULES_BY_PATH.get(model)
    if modules is None:
        modules = {}
        for module in model.modules.values():
            modules.setdefault(module.display_path, module)
        _MODULES_BY_PATH[model] = modules
    return modules.get(display_path)
