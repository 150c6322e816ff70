"""Dependency rules (CH401-CH449): ``depends()``, ``__init__`` signatures and the graph."""

from __future__ import annotations

import difflib
import enum
import weakref
from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import ClassVar

import libcst as cst

from chains_lint.diagnostics import Diagnostic, Severity, Span
from chains_lint.model import sdk
from chains_lint.model.builder import chainlet_bases
from chains_lint.model.module import ModuleInfo
from chains_lint.model.namespace import Namespace
from chains_lint.model.types import (
    Chainlet,
    ChainModel,
    ClassInfo,
    DependencyInfo,
    LiteralValue,
    Param,
    StaticValue,
    TypeExpr,
    TypeKind,
)
from chains_lint.model.values import dotted_name
from chains_lint.rules.base import Example, Rule, RuleContext

# The options of truss's ``depends(chainlet_cls, retries, timeout_sec, use_binary,
# concurrency_limit)``, in positional order, with their defaults.
OPTION_DEFAULTS: dict[str, LiteralValue] = {
    "retries": 1,
    "timeout_sec": 600.0,
    "use_binary": False,
    "concurrency_limit": 300,
}
OPTION_NAMES: tuple[str, ...] = tuple(OPTION_DEFAULTS)
_TARGET_KEYWORD = "chainlet_cls"
_CONTEXT_NAME = "context"
_RUN_LOCAL = "run_local"
_DEPLOYMENT_CONTEXT = "DeploymentContext"
# Modules whose classes are never chainlets (so a class deriving only from them is not one).
_NON_CHAINLET_MODULES = frozenset(
    {"builtins", "typing", "typing_extensions", "abc", "enum", "dataclasses", "pydantic",
     "collections"}
)
_MAX_BASE_DEPTH = 32

_HELLO_CHAIN = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])
"""

_SAY_BYE = """

class SayBye(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Bye, {name}"
"""

# ---------------------------------------------------------------------------
# Helpers shared with the entrypoint rules and the graph
# ---------------------------------------------------------------------------


def dependency_targets(chainlet: Chainlet) -> list[str]:
    """Qualified names of the classes ``chainlet`` depends on (resolved ones only)."""
    return [d.target_qualified for d in chainlet.dependencies if d.target_qualified]


def definitely_not_chainlet(namespace: Namespace, cls: ClassInfo) -> bool:
    """True when every base of ``cls`` is known and none leads to ``ChainletBase``.

    A class deriving from something the linter cannot see (an installed package)
    might be a chainlet, so it is not "definitely" not one.
    """
    return _not_chainlet(namespace, cls, 0, set())


def _not_chainlet(namespace: Namespace, cls: ClassInfo, depth: int, seen: set[str]) -> bool:
    if depth > _MAX_BASE_DEPTH or cls.qualified in seen:
        return False
    seen = seen | {cls.qualified}
    module = namespace.module_of(cls)
    for base in cls.bases:
        qualified = _base_qualified(module, base)
        if qualified is None or namespace.sdk_symbol(qualified) is not None:
            return False
        parent = namespace.find_class(qualified)
        if parent is not None:
            if not _not_chainlet(namespace, parent, depth + 1, seen):
                return False
            continue
        canonical = namespace.canonical(qualified) or qualified
        if canonical.partition(".")[0] not in _NON_CHAINLET_MODULES:
            return False
    return True


def _base_qualified(module: ModuleInfo, base: StaticValue) -> str | None:
    if base.qualified_name is not None:
        return base.qualified_name
    node = base.node
    if isinstance(node, cst.Subscript):  # Generic[T], BaseModel[...]
        head = dotted_name(node.value)
        return module.qualify(head) if head else None
    return None


def option_values(dependency: DependencyInfo) -> list[tuple[str, StaticValue]]:
    """The known options of a ``depends()`` call, given by keyword or by position."""
    values = list(zip(OPTION_NAMES, _positional_options(dependency), strict=False))
    values += [(k, v) for k, v in dependency.options if k in OPTION_DEFAULTS]
    return values


def _positional_options(dependency: DependencyInfo) -> tuple[StaticValue, ...]:
    args = dependency.call.args
    if args and dependency.target is args[0]:
        return args[1:]
    return args


def _marker(namespace: Namespace, param: Param) -> str | None:
    """``depends`` / ``depends_context`` when ``param`` defaults to that call."""
    call = param.default.call if param.default is not None else None
    if call is None:
        return None
    symbol = namespace.sdk_symbol(call.callee)
    return symbol if symbol in (sdk.DEPENDS, sdk.DEPENDS_CONTEXT) else None


def _own_init_chainlets(ctx: RuleContext) -> list[Chainlet]:
    """Chainlets of the linted module that define ``__init__`` themselves."""
    return [
        c for c in ctx.chainlets
        if c.init is not None and c.cls.methods.get("__init__") is c.init
    ]


def _own_dependencies(ctx: RuleContext) -> Iterator[tuple[Chainlet, DependencyInfo]]:
    for chainlet in _own_init_chainlets(ctx):
        for dependency in chainlet.dependencies:
            yield chainlet, dependency


def _init_params(chainlet: Chainlet) -> list[Param]:
    """``__init__`` parameters after ``self``."""
    assert chainlet.init is not None
    params = list(chainlet.init.params)
    if params and params[0].kind in ("positional_only", "positional_or_keyword"):
        params = params[1:]
    return params


def _split(namespace: Namespace, qualified: str) -> tuple[ModuleInfo, list[str]] | None:
    parts = qualified.split(".")
    for cut in range(len(parts), 0, -1):
        module = namespace.modules.get(".".join(parts[:cut]))
        if module is not None:
            return module, parts[cut:]
    return None


_STAR_IMPORTS: weakref.WeakKeyDictionary[ModuleInfo, bool] = weakref.WeakKeyDictionary()


def _has_star_import(module: ModuleInfo) -> bool:
    """True when ``module`` has ``from x import *`` (so any name may be defined)."""
    found = _STAR_IMPORTS.get(module)
    if found is None:
        finder = _StarImportFinder()
        if module.tree is not None:
            module.tree.visit(finder)
        found = _STAR_IMPORTS[module] = finder.found
    return found


class _StarImportFinder(cst.CSTVisitor):
    def __init__(self) -> None:
        self.found = False

    def visit_ImportFrom(self, node: cst.ImportFrom) -> bool:
        if isinstance(node.names, cst.ImportStar):
            self.found = True
        return False


# ---------------------------------------------------------------------------
# What a depends() target refers to
# ---------------------------------------------------------------------------


class TargetKind(enum.Enum):
    CHAINLET = "chainlet"
    MISSING = "missing"  # depends()
    NOT_A_NAME = "not_a_name"  # depends("SayHello"), depends(make()), depends(*xs)
    UNDEFINED = "undefined"  # the name exists nowhere
    NOT_CHAINLET = "not_chainlet"  # a known class, function, builtin... that is not one
    UNKNOWN = "unknown"  # defined outside what the linter can see


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    chainlet: Chainlet | None = None
    # UNDEFINED: the module the name was looked up in (None: the depends() module)
    where: ModuleInfo | None = None
    # NOT_CHAINLET: what the name is instead, e.g. "a function"
    what: str = ""


def resolve_target(model: ChainModel, module: ModuleInfo, dependency: DependencyInfo) -> Target:
    target = dependency.target
    if target is None:
        star = dependency.call.has_star_args
        return Target(TargetKind.NOT_A_NAME if star else TargetKind.MISSING)
    if dotted_name(target.node) is None:
        return Target(TargetKind.NOT_A_NAME)
    namespace = model.namespace
    if target.qualified_name is None:
        if _has_star_import(module):
            return Target(TargetKind.UNKNOWN)
        return Target(TargetKind.UNDEFINED)
    canonical = namespace.canonical(target.qualified_name) or target.qualified_name
    chainlet = model.chainlet_for(canonical)
    if chainlet is not None:
        return Target(TargetKind.CHAINLET, chainlet)
    return _non_chainlet_target(namespace, canonical)


def _non_chainlet_target(namespace: Namespace, canonical: str) -> Target:
    symbol = namespace.sdk_symbol(canonical)
    if symbol is not None:
        what = "the chains SDK module" if symbol == "" else f"the SDK's `{symbol}`"
        return Target(TargetKind.NOT_CHAINLET, what=what)
    if canonical.startswith("builtins."):
        return Target(TargetKind.NOT_CHAINLET, what="a builtin")
    cls = namespace.find_class(canonical)
    if cls is not None:
        if chainlet_bases(namespace, cls) is None and definitely_not_chainlet(namespace, cls):
            return Target(TargetKind.NOT_CHAINLET, what="a class that does not derive from "
                          "`ChainletBase`")
        return Target(TargetKind.UNKNOWN)
    found = _split(namespace, canonical)
    if found is None:
        return Target(TargetKind.UNKNOWN)
    owner, rest = found
    if not rest:
        return Target(TargetKind.NOT_CHAINLET, what="a module")
    if len(rest) > 1:
        return Target(TargetKind.UNKNOWN)
    name = rest[0]
    if name in owner.functions:
        return Target(TargetKind.NOT_CHAINLET, what="a function")
    if name in owner.constants:
        value = owner.constants[name]
        if dotted_name(value) is not None:  # an alias: Alias = SayHello
            return Target(TargetKind.UNKNOWN)
        return Target(TargetKind.NOT_CHAINLET, what="a variable")
    if name in owner.defined_names or name in owner.imports or _has_star_import(owner):
        return Target(TargetKind.UNKNOWN)
    return Target(TargetKind.UNDEFINED, where=owner)


# ---------------------------------------------------------------------------
# Rules about the target of depends()
# ---------------------------------------------------------------------------


class DependsTargetUndefinedRule(Rule):
    code = "CH401"
    name = "depends-target-undefined"
    summary = "Reports `depends(X)` where `X` is not defined anywhere."
    why = "The file fails with a `NameError` when it is imported, so the chain cannot deploy."
    fix = "Name a chainlet class defined in the file or imported from a local module."
    bad = _HELLO_CHAIN.replace("chains.depends(SayHello)", "chains.depends(SayHelo)")
    good = _HELLO_CHAIN

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for _, dependency in _own_dependencies(ctx):
            target = resolve_target(ctx.model, ctx.module, dependency)
            if target.kind is not TargetKind.UNDEFINED:
                continue
            assert dependency.target is not None
            yield self.diagnostic(
                dependency.target.span, _undefined_message(ctx, dependency.target, target)
            )


def _undefined_message(ctx: RuleContext, written: StaticValue, target: Target) -> str:
    name = written.text
    owner = target.where
    if owner is None:
        # On a name clash, prefer the chainlet of the linted module (it comes last).
        ordered = sorted(ctx.model.chainlets.values(), key=lambda c: c.module is ctx.module)
        candidates = {c.name: c for c in ordered}
        problem = f"`{name}` is not defined"
    else:
        candidates = {c.name: c for c in ctx.model.chainlets_in(owner)}
        problem = f"`{name}` is not defined in `{owner.name}`"
    last = name.rpartition(".")[2]
    close = difflib.get_close_matches(last, sorted(candidates), n=1)
    if not close:
        return (
            f"{problem}; pass a chainlet class defined in this file or imported from a "
            "local module"
        )
    suggestion = candidates[close[0]]
    prefix = name.rpartition(".")[0]
    spelled = f"{prefix}.{suggestion.name}" if prefix else suggestion.name
    in_scope = ctx.model.namespace.canonical(ctx.module.qualify(suggestion.name))
    if owner is not None or in_scope == suggestion.qualified:
        return f"{problem}; did you mean `{spelled}`?"
    return (
        f"{problem}; did you mean `{suggestion.name}` (defined in `{suggestion.module.name}`; "
        f"import it with `from {suggestion.module.name} import {suggestion.name}`)?"
    )


class DependsTargetNotChainletRule(Rule):
    code = "CH402"
    name = "depends-target-not-chainlet"
    summary = "Reports `depends(X)` where `X` exists but is not a chainlet class."
    why = (
        "`depends` injects another chainlet; given a plain class, a function or a builtin "
        "the framework rejects the chainlet when the file is imported."
    )
    fix = (
        "Pass a chainlet class (a subclass of `chains.ChainletBase`), or turn `X` into one. "
        "Plain helpers are created in `__init__` instead."
    )
    bad = """
import truss_chains as chains


class Greeter:
    def greet(self, name: str) -> str:
        return f"Hello, {name}"


class HelloAll(chains.ChainletBase):
    def __init__(self, greeter: Greeter = chains.depends(Greeter)) -> None:
        self._greeter = greeter

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join(self._greeter.greet(n) for n in names)
"""
    good = """
import truss_chains as chains


class Greeter:
    def greet(self, name: str) -> str:
        return f"Hello, {name}"


class HelloAll(chains.ChainletBase):
    def __init__(self) -> None:
        self._greeter = Greeter()

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join(self._greeter.greet(n) for n in names)
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for _, dependency in _own_dependencies(ctx):
            target = resolve_target(ctx.model, ctx.module, dependency)
            if target.kind is not TargetKind.NOT_CHAINLET:
                continue
            assert dependency.target is not None
            name = dependency.target.text
            yield self.diagnostic(
                dependency.target.span,
                f"`depends` needs a chainlet class, but `{name}` is {target.what}; pass a "
                f"subclass of `ChainletBase`, or create `{name}` in `__init__` instead",
            )


class DependsTargetInvalidRule(Rule):
    code = "CH403"
    name = "depends-target-invalid"
    summary = (
        "Reports `depends()` without a chainlet, or with something other than a class name."
    )
    why = (
        "`depends` needs the chainlet class itself as its first argument. Without it the "
        "call fails; a string, a call or any other expression is not a class, and cannot "
        "be resolved without running the code."
    )
    fix = "Pass the chainlet class by name: `chains.depends(SayHello)`."
    bad = _HELLO_CHAIN.replace("chains.depends(SayHello)", 'chains.depends("SayHello")')
    good = _HELLO_CHAIN

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for _, dependency in _own_dependencies(ctx):
            target = resolve_target(ctx.model, ctx.module, dependency)
            if target.kind is TargetKind.MISSING:
                yield self.diagnostic(
                    dependency.span,
                    f"`depends()` for `{dependency.param.name}` names no chainlet; pass the "
                    "chainlet class, e.g. `depends(SayHello)`",
                )
            elif target.kind is TargetKind.NOT_A_NAME:
                yield self.diagnostic(
                    dependency.target.span if dependency.target else dependency.span,
                    _not_a_name_message(ctx, dependency.target),
                )


def _not_a_name_message(ctx: RuleContext, target: StaticValue | None) -> str:
    if target is None:
        return (
            "`depends(*...)` unpacks its arguments, so the chainlet cannot be seen; pass "
            "the chainlet class directly, e.g. `depends(SayHello)`"
        )
    if isinstance(target.literal, str):
        named = ctx.model.chainlet_for(ctx.module.qualify(target.literal))
        if named is not None or target.literal.isidentifier():
            return (
                f"`depends` takes the chainlet class, not its name as a string; write "
                f"`depends({target.literal})`"
            )
    return (
        f"the first argument of `depends` must be a chainlet class, got `{target.text}`; "
        "pass the class by name, e.g. `depends(SayHello)`"
    )


# ---------------------------------------------------------------------------
# Where depends() / depends_context() may appear, and the __init__ signature
# ---------------------------------------------------------------------------


class DependsOutsideInitRule(Rule):
    code = "CH404"
    name = "depends-outside-init"
    summary = (
        "Reports `depends()` or `depends_context()` used anywhere but as the default of a "
        "chainlet's `__init__` parameter."
    )
    why = (
        "Both are markers the framework reads from the `__init__` signature to inject a "
        "dependency or the deployment context. Anywhere else (a `run_remote` default, a "
        "class attribute, a method body, module level) they do nothing useful: the code "
        "gets the marker object instead of a chainlet, and fails when it uses it."
    )
    fix = (
        "Declare the dependency as an `__init__` parameter, "
        "`def __init__(self, say_hello: SayHello = chains.depends(SayHello))`, store it on "
        "`self`, and use it from `run_remote`."
    )
    bad = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    async def run_remote(
        self, names: list[str], say_hello: SayHello = chains.depends(SayHello)
    ) -> str:
        return "\\n".join([await say_hello.run_remote(n) for n in names])
"""
    good = _HELLO_CHAIN

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        tree = ctx.module.tree
        if tree is None:
            return
        finder = _MarkerCallFinder(ctx, _allowed_marker_calls(ctx))
        tree.visit(finder)
        for call, symbol, where in finder.found:
            written = dotted_name(call.func) or symbol
            if symbol == sdk.DEPENDS:
                usage = "`def __init__(self, say_hello: SayHello = chains.depends(SayHello))`"
            else:
                usage = (
                    "`def __init__(self, context: chains.DeploymentContext = "
                    "chains.depends_context())`"
                )
            yield self.diagnostic(
                ctx.module.span_of(call),
                f"`{written}()` is used {where}; it only works as the default of a "
                f"chainlet's `__init__` parameter: {usage}",
            )


def _allowed_marker_calls(ctx: RuleContext) -> set[cst.CSTNode]:
    allowed: set[cst.CSTNode] = set()
    namespace = ctx.model.namespace
    for cls in ctx.module.all_classes():
        init = cls.methods.get("__init__")
        if init is None or chainlet_bases(namespace, cls) is None:
            continue
        for param in init.params:
            if param.default is not None and isinstance(param.default.node, cst.Call):
                allowed.add(param.default.node)
    return allowed


class _MarkerCallFinder(cst.CSTVisitor):
    """depends() / depends_context() calls outside the allowed places, with a location."""

    def __init__(self, ctx: RuleContext, allowed: set[cst.CSTNode]) -> None:
        self.ctx = ctx
        self.allowed = allowed
        self.scopes: list[tuple[str, str]] = []  # ("class" | "def", name)
        self.params: list[str] = []
        self.found: list[tuple[cst.Call, str, str]] = []
        self._chainlet_names: set[str] | None = None

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.scopes.append(("class", node.name.value))

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.scopes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.scopes.append(("def", node.name.value))

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.scopes.pop()

    def visit_Param(self, node: cst.Param) -> None:
        self.params.append(node.name.value)

    def leave_Param(self, original_node: cst.Param) -> None:
        self.params.pop()

    def visit_Call(self, node: cst.Call) -> None:
        name = dotted_name(node.func)
        if name is None or node in self.allowed:
            return
        symbol = self.ctx.model.namespace.sdk_symbol(self.ctx.module.qualify(name))
        if symbol in (sdk.DEPENDS, sdk.DEPENDS_CONTEXT):
            assert symbol is not None
            self.found.append((node, symbol, self._where()))

    def _chainlet_class_names(self) -> set[str]:
        if self._chainlet_names is None:
            namespace = self.ctx.model.namespace
            self._chainlet_names = {
                c.name for c in self.ctx.module.all_classes()
                if chainlet_bases(namespace, c) is not None
            }
        return self._chainlet_names

    def _where(self) -> str:
        function = next((n for kind, n in reversed(self.scopes) if kind == "def"), None)
        cls = next((n for kind, n in reversed(self.scopes) if kind == "class"), None)
        if self.params and function is not None:
            param = f"`{function}` parameter `{self.params[-1]}`"
            if function != "__init__" or cls is None:
                return f"in the default of {param}"
            if cls in self._chainlet_class_names():
                return f"nested inside the default of {param}"
            return f"in the default of {param} of `{cls}`, which is not a chainlet"
        if function is not None:
            return f"inside the body of `{function}`"
        if cls is not None:
            return f"in the class body of `{cls}`"
        return "at module level"


class InitParamNotDependencyRule(Rule):
    code = "CH405"
    name = "init-param-not-dependency"
    summary = (
        "Reports a chainlet `__init__` parameter that is neither a `depends()` dependency "
        "nor the `context`."
    )
    why = (
        "Chainlets are created by the framework, not by your code. It passes only the "
        "dependencies and the deployment context; any other parameter has no value when "
        "the chainlet starts, and the framework rejects the chainlet."
    )
    fix = (
        "Make the value a module-level constant or compute it in `__init__`; if it is "
        "another chainlet, give the parameter a `chains.depends(...)` default."
    )
    bad = """
import truss_chains as chains


class Generate(chains.ChainletBase):
    def __init__(self, model_name: str = "gpt2") -> None:
        self._model_name = model_name

    async def run_remote(self, prompt: str) -> str:
        return f"{self._model_name}: {prompt}"
"""
    good = """
import truss_chains as chains

MODEL_NAME = "gpt2"


class Generate(chains.ChainletBase):
    def __init__(self) -> None:
        self._model_name = MODEL_NAME

    async def run_remote(self, prompt: str) -> str:
        return f"{self._model_name}: {prompt}"
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for chainlet in _own_init_chainlets(ctx):
            for param in _init_params(chainlet):
                if param.name == _CONTEXT_NAME or _marker(namespace, param) is not None:
                    continue
                if param.default is not None and _contains_marker(ctx, param.default.node):
                    continue  # reported by CH404 at the nested call
                yield self.diagnostic(param.span, _not_dependency_message(chainlet, param))


def _not_dependency_message(chainlet: Chainlet, param: Param) -> str:
    if param.kind == "var_positional":
        shown = f"*{param.name}"
    elif param.kind == "var_keyword":
        shown = f"**{param.name}"
    else:
        shown = param.name
    return (
        f"`{chainlet.name}.__init__` parameter `{shown}` is neither a dependency nor "
        "`context`, and the framework passes nothing else: remove it (use a constant or "
        "compute the value in `__init__`), or give it a default `chains.depends(OtherChainlet)`"
    )


def _contains_marker(ctx: RuleContext, node: cst.CSTNode) -> bool:
    finder = _MarkerCallFinder(ctx, set())
    node.visit(finder)
    return bool(finder.found)


class ContextParamInvalidRule(Rule):
    code = "CH406"
    name = "context-param-invalid"
    summary = (
        "Reports a misplaced, misnamed, repeated or badly typed `context` parameter of a "
        "chainlet's `__init__`."
    )
    why = (
        "The framework injects the deployment context only into a parameter named "
        "`context`, typed `DeploymentContext`, defaulting to `depends_context()`, that "
        "comes last. Any other shape is rejected when the file is imported."
    )
    fix = (
        "Declare it once, as the last parameter: "
        "`context: chains.DeploymentContext = chains.depends_context()`."
    )
    bad = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(
        self,
        context: chains.DeploymentContext = chains.depends_context(),
        say_hello: SayHello = chains.depends(SayHello),
    ) -> None:
        self._say_hello = say_hello
        self._data_dir = context.data_dir

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    good = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(
        self,
        say_hello: SayHello = chains.depends(SayHello),
        context: chains.DeploymentContext = chains.depends_context(),
    ) -> None:
        self._say_hello = say_hello
        self._data_dir = context.data_dir

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet in _own_init_chainlets(ctx):
            for span, message in _context_problems(ctx, _init_params(chainlet)):
                yield self.diagnostic(span, message)


_CONTEXT_EXAMPLE = "`context: chains.DeploymentContext = chains.depends_context()`"


def _context_problems(ctx: RuleContext, params: list[Param]) -> Iterator[tuple[Span, str]]:
    namespace = ctx.model.namespace
    markers = [p for p in params if _marker(namespace, p) == sdk.DEPENDS_CONTEXT]
    for extra in markers[1:]:
        yield extra.span, (
            f"`{extra.name}` is a second context parameter; a chainlet gets one deployment "
            f"context: remove it and use `{markers[0].name}`"
        )
    if markers:
        first = markers[0]
        if first.name != _CONTEXT_NAME:
            yield first.span, (
                f"the context parameter is named `{first.name}`, but the framework only "
                f"fills one named `context`: rename it, {_CONTEXT_EXAMPLE}"
            )
        # Extra context parameters and ``**kwargs`` (reported elsewhere) cannot follow it.
        others = [p for p in params if p not in markers[1:] and p.kind != "var_keyword"]
        if first is not others[-1]:
            yield first.span, (
                f"`{first.name}` must be the last `__init__` parameter; move it after "
                f"`{others[-1].name}`"
            )
        problem = _context_annotation_problem(ctx, first.annotation)
        if problem is not None:
            yield problem
    for param in params:
        if param.name != _CONTEXT_NAME:
            continue
        marker = _marker(namespace, param)
        if marker == sdk.DEPENDS:
            yield param.span, (
                "the name `context` is reserved for the deployment context; give this "
                "dependency another name"
            )
        elif marker is None:
            yield param.span, (
                f"`context` must default to `depends_context()` to receive the deployment "
                f"context: {_CONTEXT_EXAMPLE}"
            )


def _context_annotation_problem(
    ctx: RuleContext, annotation: TypeExpr | None
) -> tuple[Span, str] | None:
    if annotation is None:
        return None
    resolved = annotation.inner if annotation.kind is TypeKind.STRING else annotation
    if resolved is None or resolved.kind is not TypeKind.NAME or resolved.qualified is None:
        return None
    namespace = ctx.model.namespace
    qualified = namespace.canonical(resolved.qualified) or resolved.qualified
    symbol = namespace.sdk_symbol(qualified)
    if symbol == _DEPLOYMENT_CONTEXT:
        return None
    known = (
        symbol is not None
        or qualified.partition(".")[0] in _NON_CHAINLET_MODULES
        or namespace.find_class(qualified) is not None
    )
    if not known:
        return None
    return annotation.span, (
        f"`context` is annotated `{annotation.text}`, but the framework injects a "
        f"`DeploymentContext`: annotate it `chains.DeploymentContext`"
    )


# ---------------------------------------------------------------------------
# depends() options
# ---------------------------------------------------------------------------


class DependsUnknownOptionRule(Rule):
    code = "CH407"
    name = "depends-unknown-option"
    summary = (
        "Reports `depends()` arguments it does not take: unknown keywords, too many "
        "positional arguments, or an option given twice."
    )
    why = (
        "`depends(chainlet_cls, retries, timeout_sec, use_binary, concurrency_limit)` "
        "takes nothing else; anything more is a `TypeError` when the file is imported."
    )
    fix = (
        "Use the option names `retries`, `timeout_sec`, `use_binary` and "
        "`concurrency_limit`, each once."
    )
    bad = _HELLO_CHAIN.replace("chains.depends(SayHello)", "chains.depends(SayHello, retry=3)")
    good = _HELLO_CHAIN.replace("chains.depends(SayHello)", "chains.depends(SayHello, retries=3)")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for _, dependency in _own_dependencies(ctx):
            yield from self._check_call(ctx, dependency)

    def _check_call(self, ctx: RuleContext, dependency: DependencyInfo) -> Iterator[Diagnostic]:
        positional = _positional_options(dependency)
        for extra in positional[len(OPTION_NAMES):]:
            yield self.diagnostic(
                extra.span,
                f"`depends` takes at most {len(OPTION_NAMES) + 1} positional arguments; "
                f"remove `{extra.text}` or pass options by keyword, e.g. `retries=3`",
            )
        given = {name for name, _ in zip(OPTION_NAMES, positional, strict=False)}
        if dependency.call.args and dependency.target is dependency.call.args[0]:
            given.add(_TARGET_KEYWORD)
        for keyword, span in _keywords(ctx.module, dependency):
            if keyword in given:
                yield self.diagnostic(
                    span,
                    f"`{keyword}` is given twice in `depends(...)`; keep one of them",
                )
                continue
            given.add(keyword)
            if keyword == _TARGET_KEYWORD or keyword in OPTION_DEFAULTS:
                continue
            close = difflib.get_close_matches(keyword, OPTION_NAMES, n=1)
            hint = (
                f"did you mean `{close[0]}`?" if close
                else "its options are " + ", ".join(f"`{o}`" for o in OPTION_NAMES)
            )
            yield self.diagnostic(span, f"`depends` has no option `{keyword}`; {hint}")


def _keywords(module: ModuleInfo, dependency: DependencyInfo) -> Iterator[tuple[str, Span]]:
    """Keyword arguments of the depends() call, with the span of each keyword."""
    default = dependency.param.default
    node = default.node if default is not None else None
    if not isinstance(node, cst.Call):
        return
    for arg in node.args:
        if arg.keyword is not None and not arg.star:
            yield arg.keyword.value, module.span_of(arg.keyword)


@dataclass(frozen=True)
class _OptionSpec:
    accepts: str  # for messages, e.g. "a non-negative integer"
    example: str

    def valid(self, name: str, value: LiteralValue) -> bool:
        if name == "use_binary":
            return isinstance(value, bool)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        if name == "timeout_sec":
            return value > 0
        if not isinstance(value, int):
            return False
        return value >= (0 if name == "retries" else 1)


_OPTION_SPECS = {
    "retries": _OptionSpec("a non-negative integer", "retries=3"),
    "timeout_sec": _OptionSpec("a positive number of seconds", "timeout_sec=60"),
    "use_binary": _OptionSpec("`True` or `False`", "use_binary=True"),
    "concurrency_limit": _OptionSpec("a positive integer", "concurrency_limit=32"),
}


class DependsOptionInvalidRule(Rule):
    code = "CH408"
    name = "depends-option-invalid"
    summary = "Reports a `depends()` option whose literal value has the wrong type or range."
    why = (
        "The options configure calls to the dependency: `retries` must be a non-negative "
        "integer, `timeout_sec` a positive number, `concurrency_limit` a positive integer "
        "and `use_binary` a bool. Other values fail validation or make every call fail."
    )
    fix = "Pass a value of the right type and range, e.g. `retries=3, timeout_sec=60`."
    bad = _HELLO_CHAIN.replace(
        "chains.depends(SayHello)", "chains.depends(SayHello, timeout_sec=0)"
    )
    good = _HELLO_CHAIN.replace(
        "chains.depends(SayHello)", "chains.depends(SayHello, timeout_sec=30)"
    )

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for _, dependency in _own_dependencies(ctx):
            for name, value in option_values(dependency):
                spec = _OPTION_SPECS[name]
                if value.is_literal and not spec.valid(name, value.literal):  # type: ignore[arg-type]
                    yield self.diagnostic(
                        value.span,
                        f"`{name}` must be {spec.accepts}, got `{value.text}`; "
                        f"e.g. `{spec.example}`",
                    )


class DependsOptionNotLiteralRule(Rule):
    code = "CH409"
    name = "depends-option-not-literal"
    severity = Severity.WARNING
    summary = "Reports a `depends()` option whose value is not a literal."
    why = (
        "Options are read statically, without running the file; a computed value cannot "
        "be checked or shown, and may differ between your machine and the deployment."
    )
    fix = "Use a literal, or a module-level constant bound to one."
    bad = """
import os

import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(
        self,
        say_hello: SayHello = chains.depends(
            SayHello, retries=int(os.environ.get("RETRIES", "3"))
        ),
    ) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    good = _HELLO_CHAIN.replace("import truss_chains as chains\n", (
        "import truss_chains as chains\n\nRETRIES = 3\n"
    )).replace("chains.depends(SayHello)", "chains.depends(SayHello, retries=RETRIES)")

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for _, dependency in _own_dependencies(ctx):
            for name, value in option_values(dependency):
                if not value.is_literal:
                    yield self.diagnostic(
                        value.span,
                        f"`{name}={value.text}` is not a literal, so it cannot be read "
                        f"without running the file; use a literal, e.g. "
                        f"`{_OPTION_SPECS[name].example}`",
                    )


# ---------------------------------------------------------------------------
# The dependency graph
# ---------------------------------------------------------------------------


class DependencyCycleRule(Rule):
    code = "CH410"
    name = "dependency-cycle"
    summary = "Reports chainlets that depend on each other in a cycle (or on themselves)."
    why = (
        "Each chainlet needs its dependencies deployed and reachable before it starts; in a "
        "cycle none of them can be first, and local runs recurse forever."
    )
    fix = (
        "Break the cycle: move the shared work into a chainlet both depend on, or pass "
        "data through `run_remote` arguments and results instead of calling back."
    )
    bad: ClassVar[Example] = {
        "chain.py": """
import truss_chains as chains

import pong


@chains.mark_entrypoint
class Ping(chains.ChainletBase):
    def __init__(self, pong: "pong.Pong" = chains.depends(pong.Pong)) -> None:
        self._pong = pong

    async def run_remote(self, n: int) -> int:
        return await self._pong.run_remote(n - 1) if n else 0
""",
        "pong.py": """
import truss_chains as chains

import chain


class Pong(chains.ChainletBase):
    def __init__(self, ping: "chain.Ping" = chains.depends(chain.Ping)) -> None:
        self._ping = ping

    async def run_remote(self, n: int) -> int:
        return await self._ping.run_remote(n - 1) if n else 0
""",
    }
    good = _HELLO_CHAIN

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        graph = _Graph(ctx.model)
        for component in graph.cyclic_components():
            local = sorted(
                (c for c in component if c.module is ctx.module),
                key=lambda c: (c.name, c.qualified),
            )
            if not local:
                continue
            path = graph.shortest_cycle(local[0], component)
            if not path:
                continue
            first_edge = path[0][1]
            names = [local[0].name] + [step[0].name for step in path]
            shown = " -> ".join(names)
            if len(path) == 1:
                message = (
                    f"`{local[0].name}` depends on itself (`{shown}`); remove this "
                    "dependency and call the method directly"
                )
            else:
                message = (
                    f"dependency cycle `{shown}`: chainlets cannot depend on each other in "
                    "a loop; remove one of these `depends(...)`"
                )
            related = tuple(step[1].span for step in path[1:])
            # An inherited __init__ may live in another file: then point at the class.
            span = first_edge.span
            if span.path != ctx.module.display_path:
                span = local[0].cls.span
            yield self.diagnostic(span, message, related=related)


class _Graph:
    """The chainlets of a model and their resolved dependency edges."""

    def __init__(self, model: ChainModel) -> None:
        self.nodes = sorted(model.chainlets.values(), key=lambda c: c.qualified)
        self.edges: dict[str, list[tuple[Chainlet, DependencyInfo]]] = {}
        for chainlet in self.nodes:
            out: list[tuple[Chainlet, DependencyInfo]] = []
            for dependency in chainlet.dependencies:
                target = model.chainlet_for(dependency.target_qualified)
                if target is not None:
                    out.append((target, dependency))
            self.edges[chainlet.qualified] = out

    def cyclic_components(self) -> list[list[Chainlet]]:
        """Strongly connected components that contain a cycle (Tarjan, iteratively)."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        on_stack: set[str] = set()
        stack: list[Chainlet] = []
        result: list[list[Chainlet]] = []
        counter = 0
        for root in self.nodes:
            if root.qualified in index:
                continue
            work: list[tuple[Chainlet, int]] = [(root, 0)]
            while work:
                node, position = work.pop()
                key = node.qualified
                if position == 0:
                    index[key] = low[key] = counter
                    counter += 1
                    stack.append(node)
                    on_stack.add(key)
                edges = self.edges[key]
                if position < len(edges):
                    work.append((node, position + 1))
                    target = edges[position][0]
                    if target.qualified not in index:
                        work.append((target, 0))
                    elif target.qualified in on_stack:
                        low[key] = min(low[key], index[target.qualified])
                    continue
                if low[key] == index[key]:
                    component: list[Chainlet] = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member.qualified)
                        component.append(member)
                        if member is node:
                            break
                    if self._is_cyclic(component):
                        result.append(component)
                if work:
                    parent = work[-1][0].qualified
                    low[parent] = min(low[parent], low[key])
        return result

    def _is_cyclic(self, component: list[Chainlet]) -> bool:
        if len(component) > 1:
            return True
        only = component[0]
        return any(t is only for t, _ in self.edges[only.qualified])

    def shortest_cycle(
        self, start: Chainlet, component: Sequence[Chainlet]
    ) -> list[tuple[Chainlet, DependencyInfo]]:
        """Steps ``(next chainlet, depends() leading to it)`` from ``start`` back to it."""
        members = {c.qualified for c in component}
        came_from: dict[str, tuple[Chainlet, Chainlet, DependencyInfo]] = {}
        queue: deque[Chainlet] = deque([start])
        seen: set[str] = set()
        while queue:
            node = queue.popleft()
            for target, dependency in self.edges[node.qualified]:
                if target.qualified not in members:
                    continue
                if target is start:
                    return self._unwind(came_from, start, node, dependency)
                if target.qualified in seen:
                    continue
                seen.add(target.qualified)
                came_from[target.qualified] = (node, target, dependency)
                queue.append(target)
        return []

    @staticmethod
    def _unwind(
        came_from: dict[str, tuple[Chainlet, Chainlet, DependencyInfo]],
        start: Chainlet,
        last: Chainlet,
        closing: DependencyInfo,
    ) -> list[tuple[Chainlet, DependencyInfo]]:
        steps: list[tuple[Chainlet, DependencyInfo]] = [(start, closing)]
        current = last
        while current is not start:
            parent, target, dependency = came_from[current.qualified]
            steps.append((target, dependency))
            current = parent
        steps.reverse()
        return steps


def _chainlet_called(ctx: RuleContext, node: cst.Call) -> Chainlet | None:
    name = dotted_name(node.func)
    if name is None:
        return None
    qualified = ctx.model.namespace.canonical(ctx.module.qualify(name))
    return ctx.model.chainlet_for(qualified)


class ChainletInstantiatedRule(Rule):
    code = "CH411"
    name = "chainlet-instantiated"
    summary = (
        "Reports a chainlet created directly (`SayHello()`), outside a "
        "`with chains.run_local():` block."
    )
    why = (
        "Chainlets are created by the framework, which injects their dependencies and "
        "context, and deploys each one as its own service. A chainlet created by hand has "
        "no dependencies, and inside another chainlet it runs in-process instead of being "
        "called remotely; the framework rejects it at run time."
    )
    fix = (
        "Inside a chainlet, declare it as a dependency: "
        "`say_hello: SayHello = chains.depends(SayHello)` in `__init__`. For local tests, "
        "create chainlets inside `with chains.run_local():`."
    )
    bad = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self) -> None:
        self._say_hello = SayHello()

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])
"""
    good = _HELLO_CHAIN + """

if __name__ == "__main__":
    import asyncio

    with chains.run_local():
        hello_all = HelloAll()
        print(asyncio.run(hello_all.run_remote(["Ada", "Grace"])))
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        if ctx.module.tree is None:
            return
        finder = _InstantiationFinder(ctx)
        ctx.module.tree.visit(finder)
        for call, chainlet in finder.found:
            yield self.diagnostic(
                ctx.module.span_of(call),
                f"`{chainlet.name}` is instantiated directly; chainlets are created by the "
                f"framework: declare it as a dependency in `__init__` "
                f"(`{_param_name(chainlet.name)}: {chainlet.name} = "
                f"chains.depends({chainlet.name})`), or for local testing create it inside "
                "`with chains.run_local():`",
            )


def _param_name(class_name: str) -> str:
    out: list[str] = []
    for i, char in enumerate(class_name):
        if char.isupper() and i and not class_name[i - 1].isupper():
            out.append("_")
        out.append(char.lower())
    return "".join(out)


class _InstantiationFinder(cst.CSTVisitor):
    def __init__(self, ctx: RuleContext) -> None:
        self.ctx = ctx
        self.run_local_depth = 0
        self.found: list[tuple[cst.Call, Chainlet]] = []

    def visit_With(self, node: cst.With) -> None:
        if self._is_run_local(node):
            self.run_local_depth += 1

    def leave_With(self, original_node: cst.With) -> None:
        if self._is_run_local(original_node):
            self.run_local_depth -= 1

    def _is_run_local(self, node: cst.With) -> bool:
        namespace = self.ctx.model.namespace
        for item in node.items:
            expr = item.item
            head = expr.func if isinstance(expr, cst.Call) else expr
            name = dotted_name(head)
            if name and namespace.sdk_symbol(self.ctx.module.qualify(name)) == _RUN_LOCAL:
                return True
        return False

    def visit_Call(self, node: cst.Call) -> None:
        if self.run_local_depth:
            return
        chainlet = _chainlet_called(self.ctx, node)
        if chainlet is not None:
            self.found.append((node, chainlet))


class DuplicateDependencyRule(Rule):
    code = "CH412"
    name = "duplicate-dependency"
    profiles = frozenset({"truss"})
    summary = "Reports the same chainlet class injected into two `__init__` parameters."
    why = (
        "truss rejects a chainlet whose `__init__` depends on one chainlet class through "
        "two parameters; both would be the same remote service anyway."
    )
    fix = "Keep one parameter for the dependency and use it everywhere."
    bad = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloTwice(chains.ChainletBase):
    def __init__(
        self,
        first: SayHello = chains.depends(SayHello),
        second: SayHello = chains.depends(SayHello, retries=3),
    ) -> None:
        self._first = first
        self._second = second

    async def run_remote(self, name: str) -> str:
        return await self._first.run_remote(name) + await self._second.run_remote(name)
"""
    good = """
import truss_chains as chains


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"


@chains.mark_entrypoint
class HelloTwice(chains.ChainletBase):
    def __init__(self, say_hello: SayHello = chains.depends(SayHello, retries=3)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, name: str) -> str:
        return await self._say_hello.run_remote(name) + await self._say_hello.run_remote(name)
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet in _own_init_chainlets(ctx):
            first: dict[str, DependencyInfo] = {}
            for dependency in chainlet.dependencies:
                target = ctx.model.chainlet_for(dependency.target_qualified)
                if target is None:
                    continue
                earlier = first.setdefault(target.qualified, dependency)
                if earlier is dependency:
                    continue
                yield self.diagnostic(
                    dependency.span,
                    f"`{target.name}` is already injected as `{earlier.param.name}`; truss "
                    f"allows one parameter per chainlet class: remove `{dependency.param.name}`"
                    f" and use `{earlier.param.name}`",
                    related=(earlier.span,),
                )


class DependencyAnnotationMismatchRule(Rule):
    code = "CH413"
    name = "dependency-annotation-mismatch"
    summary = (
        "Reports a dependency parameter annotated with a different chainlet than the one "
        "`depends()` injects."
    )
    why = (
        "The parameter receives the chainlet named in `depends(...)`; an annotation naming "
        "another chainlet misleads readers and type checkers, and truss rejects it."
    )
    fix = (
        "Annotate the parameter with the chainlet passed to `depends` (or a base class of "
        "it, or a `Protocol`)."
    )
    bad = _HELLO_CHAIN.replace(
        "\n\n@chains.mark_entrypoint",
        _SAY_BYE + "\n\n@chains.mark_entrypoint",
    ).replace(
        "say_hello: SayHello = chains.depends(SayHello)",
        "say_hello: SayBye = chains.depends(SayHello)",
    )
    good = _HELLO_CHAIN

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        namespace = ctx.model.namespace
        for _, dependency in _own_dependencies(ctx):
            target = ctx.model.chainlet_for(dependency.target_qualified)
            annotation = dependency.param.annotation
            if target is None or annotation is None:
                continue
            resolved = annotation.inner if annotation.kind is TypeKind.STRING else annotation
            if resolved is None or resolved.kind is not TypeKind.NAME:
                continue
            annotated = ctx.model.chainlet_for(namespace.canonical(resolved.qualified))
            if annotated is None or annotated is target:
                continue
            if annotated.qualified in target.chainlet_bases:
                continue
            yield self.diagnostic(
                annotation.span,
                f"`{dependency.param.name}` is annotated `{annotation.text}` but "
                f"`depends` injects `{target.name}`; annotate it `{target.name}`",
            )


class DependsBeforeDefinitionRule(Rule):
    code = "CH414"
    name = "depends-before-definition"
    summary = (
        "Reports `depends(X)` where chainlet `X` is defined further down the same file."
    )
    why = (
        "A parameter default is evaluated when the `def` runs, while the class body of the "
        "depending chainlet executes; `X` does not exist yet, so importing the file fails "
        "with a `NameError`."
    )
    fix = "Define the dependency's class above the chainlet that depends on it."
    bad = """
import truss_chains as chains


@chains.mark_entrypoint
class HelloAll(chains.ChainletBase):
    def __init__(self, say_hello: "SayHello" = chains.depends(SayHello)) -> None:
        self._say_hello = say_hello

    async def run_remote(self, names: list[str]) -> str:
        return "\\n".join([await self._say_hello.run_remote(n) for n in names])


class SayHello(chains.ChainletBase):
    async def run_remote(self, name: str) -> str:
        return f"Hello, {name}"
"""
    good = _HELLO_CHAIN

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet, dependency in _own_dependencies(ctx):
            target = ctx.model.chainlet_for(dependency.target_qualified)
            if target is None or target is chainlet or target.module is not ctx.module:
                continue
            if dependency.target is None or "." in dependency.target.text:
                continue
            if _position(target) <= _position(chainlet):
                continue
            yield self.diagnostic(
                dependency.target.span,
                f"`{target.name}` is defined below `{chainlet.name}` (line "
                f"{target.cls.span.line}), so `depends({dependency.target.text})` raises "
                f"`NameError` when the file is imported; move `class {target.name}` above "
                f"`class {chainlet.name}`",
                related=(target.cls.span,),
            )


def _position(chainlet: Chainlet) -> tuple[int, int]:
    return chainlet.cls.span.line, chainlet.cls.span.column


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
)
