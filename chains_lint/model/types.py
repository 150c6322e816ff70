"""The typed chain model: everything the rules and the build know about a chain.

The model is extracted statically with libcst. It keeps references to the
libcst nodes it was read from so that rules can look deeper where they need to,
but everything a consumer commonly needs is available as plain data.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Union

import libcst as cst

from chains_lint.diagnostics import Span

if TYPE_CHECKING:
    from chains_lint.model.module import ModuleInfo
    from chains_lint.model.namespace import Namespace

# ---------------------------------------------------------------------------
# Static values (RemoteConfig arguments, depends() options, defaults)
# ---------------------------------------------------------------------------

LiteralValue = Union[
    None, bool, int, float, str, "list[LiteralValue]", "tuple[LiteralValue, ...]",
    "dict[str, LiteralValue]",
]


class _NotLiteral:
    """Marker for a value that cannot be read statically."""

    _instance: _NotLiteral | None = None

    def __new__(cls) -> _NotLiteral:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_LITERAL"

    def __bool__(self) -> bool:
        return False


NOT_LITERAL = _NotLiteral()

CodeFor = Callable[[cst.CSTNode], str]


@dataclass(frozen=True, eq=False)
class StaticCall:
    """A call expression, with its callee resolved to a qualified name where possible."""

    callee: str | None
    args: tuple[StaticValue, ...]
    kwargs: tuple[tuple[str, StaticValue], ...]
    has_star_args: bool

    def kwarg(self, name: str) -> StaticValue | None:
        for key, value in self.kwargs:
            if key == name:
                return value
        return None


@dataclass(frozen=True, eq=False)
class StaticValue:
    """An expression read without executing it.

    ``literal`` holds the Python value when the expression is made only of
    literals (and module-level constants bound to literals), else ``NOT_LITERAL``.
    ``elements`` holds the items of a list/tuple/set display, ``call`` the
    parts of a call.
    """

    node: cst.BaseExpression
    span: Span
    # Generates source code for a node; ``text`` uses it on first access only,
    # because code generation costs more than everything else the model does.
    code_for: CodeFor = field(repr=False)
    literal: LiteralValue | _NotLiteral
    elements: tuple[StaticValue, ...] | None = None
    call: StaticCall | None = None
    # Qualified name when the expression is a (dotted) name, e.g. "truss_chains.BasetenImage.PY311".
    qualified_name: str | None = None

    @property
    def is_literal(self) -> bool:
        return not isinstance(self.literal, _NotLiteral)

    @cached_property
    def text(self) -> str:
        """The expression's source code."""
        return self.code_for(self.node)


# ---------------------------------------------------------------------------
# Type annotations
# ---------------------------------------------------------------------------


class TypeKind(str, enum.Enum):
    NAME = "name"  # int, pydantic model, typing.Any, np.ndarray
    SUBSCRIPT = "subscript"  # list[int], Optional[str], Literal["a"]
    UNION = "union"  # X | Y
    NONE = "none"  # None
    STRING = "string"  # "Model" (forward reference); ``inner`` holds the parsed form
    VALUE = "value"  # a literal value inside Literal[...]
    ELLIPSIS = "ellipsis"  # tuple[int, ...]
    LIST = "list"  # [int, str] as in Callable[[int], str]
    OTHER = "other"  # anything else


@dataclass(frozen=True, eq=False)
class TypeExpr:
    kind: TypeKind
    code_for: CodeFor = field(repr=False)
    span: Span
    node: cst.BaseExpression
    # For NAME and SUBSCRIPT: the qualified name of the (head) name, e.g.
    # "builtins.list", "typing.Optional", "mypkg.models.Query"; None when unknown.
    qualified: str | None = None
    # The name as written, e.g. "Optional", "np.ndarray".
    written: str | None = None
    args: tuple[TypeExpr, ...] = ()
    inner: TypeExpr | None = None  # STRING: the parsed forward reference
    value: LiteralValue | _NotLiteral = NOT_LITERAL  # VALUE

    @cached_property
    def text(self) -> str:
        """The annotation's source code."""
        return self.code_for(self.node)

    def walk(self) -> Iterator[TypeExpr]:
        yield self
        for arg in self.args:
            yield from arg.walk()
        if self.inner is not None:
            yield from self.inner.walk()


# ---------------------------------------------------------------------------
# Functions and classes
# ---------------------------------------------------------------------------

ParamKind = Literal[
    "positional_only", "positional_or_keyword", "keyword_only", "var_positional", "var_keyword"
]


@dataclass(frozen=True, eq=False)
class Param:
    name: str
    kind: ParamKind
    annotation: TypeExpr | None
    default: StaticValue | None
    span: Span
    node: cst.Param

    @property
    def required(self) -> bool:
        return self.default is None and self.kind not in ("var_positional", "var_keyword")


@dataclass(frozen=True, eq=False)
class Decorator:
    qualified: str | None  # of the decorator name (call head for decorator calls)
    written: str
    call: StaticCall | None  # set when the decorator is a call: @mark_entrypoint("Name")
    span: Span
    node: cst.Decorator


@dataclass(frozen=True, eq=False)
class FunctionInfo:
    name: str
    is_async: bool
    params: tuple[Param, ...]
    returns: TypeExpr | None
    decorators: tuple[Decorator, ...]
    # True when the body contains ``yield`` / ``yield from`` outside nested scopes.
    yields: bool
    span: Span  # the name
    def_span: Span  # the whole ``def`` line up to the colon
    node: cst.FunctionDef

    def param(self, name: str) -> Param | None:
        for p in self.params:
            if p.name == name:
                return p
        return None


@dataclass(frozen=True, eq=False)
class MethodInScope:
    """A method together with the module it is defined in (it may be inherited)."""

    module: ModuleInfo
    function: FunctionInfo


@dataclass(frozen=True, eq=False)
class ClassField:
    """An annotated class attribute, e.g. a pydantic field ``name: str = "x"``."""

    name: str
    annotation: TypeExpr
    default: StaticValue | None
    span: Span


@dataclass(eq=False)
class ClassInfo:
    name: str
    qualified: str  # module.Class (nested: module.Outer.Inner)
    module_name: str
    bases: tuple[StaticValue, ...]
    keywords: tuple[tuple[str, StaticValue], ...]  # metaclass=..., etc.
    decorators: tuple[Decorator, ...]
    methods: dict[str, FunctionInfo]
    fields: tuple[ClassField, ...]
    # Plain class-level assignments ``name = value`` (e.g. remote_config).
    attributes: dict[str, StaticValue]
    is_top_level: bool
    span: Span  # the class name
    node: cst.ClassDef


# ---------------------------------------------------------------------------
# Chainlet-level facts
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class DependencyInfo:
    """An ``__init__`` parameter defaulting to ``depends(Target, ...)``."""

    param: Param
    target: StaticValue | None  # the first argument of depends(...) (None if missing)
    target_qualified: str | None  # qualified name of the target (None if not a name)
    options: tuple[tuple[str, StaticValue], ...]  # retries=..., timeout_sec=..., ...
    call: StaticCall
    span: Span  # the depends(...) call
    # ``self.<attr>`` names the dependency is stored under in __init__.
    attributes: tuple[str, ...] = ()

    def option(self, name: str) -> StaticValue | None:
        for key, value in self.options:
            if key == name:
                return value
        return None


SecretAccess = Literal["subscript", "get", "in"]


@dataclass(frozen=True, eq=False)
class SecretRead:
    key: str | None  # None when the key is not a literal string
    access: SecretAccess
    span: Span
    method: str  # the method the read is in


CallContext = Literal[
    "await",  # await dep.run_remote(...)
    "async_for",  # async for x in dep.run_remote(...)
    "for",  # for x in dep.run_remote(...)
    "scheduled",  # passed to asyncio.create_task / gather / wait / TaskGroup.create_task ...
    "stored_consumed",  # stored in a variable / collection that is later awaited or scheduled
    "stored_unconsumed",  # stored in a variable / collection that is never awaited
    "returned",  # return dep.run_remote(...)
    "discarded",  # dep.run_remote(...) as a statement
    "value",  # used as a value in any other way
]


@dataclass(frozen=True, eq=False)
class DependencyCall:
    """A call ``<dependency>.run_remote(...)`` inside a chainlet method."""

    dependency: DependencyInfo
    method: str  # the chainlet method containing the call
    method_is_async: bool
    context: CallContext
    args: tuple[StaticValue, ...]
    kwargs: tuple[tuple[str, StaticValue], ...]
    has_star_args: bool  # *xs or **kw in the call
    span: Span  # the call
    holder: str | None = None  # for stored_*: the variable name holding the coroutine


@dataclass(frozen=True, eq=False)
class DependencyMemberAccess:
    """``<dependency>.<name>`` for a name other than ``run_remote`` (a deployed stub has none)."""

    dependency: DependencyInfo
    name: str
    method: str
    span: Span  # the attribute name
    expression_span: Span  # the whole ``self._dep.name``


@dataclass(frozen=True, eq=False)
class EntrypointMark:
    decorator: Decorator
    chain_name: str | None


@dataclass(eq=False)
class ConfigObject:
    """A config object passed into ``RemoteConfig`` (``ModelRepo(...)``, ``WeightsSource(...)``,
    ``HealthChecks(...)``, a dict...), as far as its fields are literals."""

    kind: str | None  # the constructor's name, e.g. "ModelRepo"; None for a dict display
    fields: dict[str, LiteralValue] = field(default_factory=dict)


@dataclass(eq=False)
class DockerImageConfig:
    # "baseten:py311" for BasetenImage.PY311 (see model.remote_config.BASETEN_IMAGE_PREFIX),
    # the image name for CustomImage(image=...) or a plain string; None: not given (PY311).
    base_image: str | None = None
    pip_requirements: list[str] = field(default_factory=list)
    pip_requirements_file: str | None = None  # absolute path when given via make_abs_path_here
    apt_requirements: list[str] = field(default_factory=list)
    data_dir: str | None = None
    external_package_dirs: list[str] = field(default_factory=list)
    requirements_file: str | None = None  # absolute path (requirements.txt, pyproject, uv.lock)
    python_executable_path: str | None = None  # CustomImage(python_executable_path=...)
    docker_auth: ConfigObject | None = None  # CustomImage(docker_auth=...)
    truss_server_version_override: str | None = None


@dataclass(eq=False)
class ComputeConfig:
    cpu_count: int = 1
    memory: str = "2Gi"
    gpu: str | None = None
    gpu_count: int = 1
    predict_concurrency: int = 1
    instance_type: str | None = None


@dataclass(eq=False)
class AssetsConfig:
    secret_keys: list[str] = field(default_factory=list)
    cached: list[ConfigObject] = field(default_factory=list)  # ModelRepo(...)
    external_data: list[ConfigObject] = field(default_factory=list)  # ExternalDataItem(...)
    weights: list[ConfigObject] = field(default_factory=list)  # WeightsSource(...)


@dataclass(eq=False)
class ChainletOptionsConfig:
    enable_b10_tracing: bool = False
    enable_debug_logs: bool = False
    env_variables: dict[str, str] = field(default_factory=dict)
    metadata: LiteralValue = None
    streaming_read_timeout: int = 60
    health_checks: ConfigObject | None = None
    transport: ConfigObject | None = None
    run_remote_timeout_sec: float | None = None
    # The server's HTTP limits (None: the built-in default).
    max_connections: int | None = None
    idle_timeout_sec: float | None = None
    head_timeout_sec: float | None = None
    body_timeout_sec: float | None = None
    max_head_bytes: int | None = None


@dataclass(eq=False)
class RemoteConfigModel:
    """``remote_config`` as far as it can be read from literals.

    ``unread`` lists (dotted field path, span) of values that are present but
    are not literals, so the build cannot see them, e.g. ("compute.gpu", span).
    """

    docker_image: DockerImageConfig = field(default_factory=DockerImageConfig)
    compute: ComputeConfig = field(default_factory=ComputeConfig)
    assets: AssetsConfig = field(default_factory=AssetsConfig)
    name: str | None = None
    build_commands: list[str] = field(default_factory=list)
    value: StaticValue | None = None  # the RemoteConfig(...) expression; None when absent
    owner: str | None = None  # qualified name of the class that defines it (may be a base)
    unread: list[tuple[str, Span]] = field(default_factory=list)
    options: ChainletOptionsConfig = field(default_factory=ChainletOptionsConfig)
    # The expression each given field was read from, by dotted path, e.g. "compute.gpu".
    sources: dict[str, StaticValue] = field(default_factory=dict)


@dataclass(eq=False)
class Chainlet:
    cls: ClassInfo
    module: ModuleInfo
    # The chainlet classes between this one and ChainletBase (nearest first).
    chainlet_bases: tuple[str, ...]
    run_remote: FunctionInfo | None  # own or inherited
    run_remote_owner: str | None  # qualified name of the class defining run_remote
    init: FunctionInfo | None
    dependencies: tuple[DependencyInfo, ...]
    context_param: Param | None
    secret_reads: tuple[SecretRead, ...]
    dependency_calls: tuple[DependencyCall, ...]
    remote_config: RemoteConfigModel
    entrypoint: EntrypointMark | None
    # Members other than ``run_remote`` of the dependencies that the methods use.
    dependency_members: tuple[DependencyMemberAccess, ...] = ()
    # A ``ModelBase`` subclass: ``run_remote`` above holds its ``predict``.
    is_model: bool = False

    @property
    def name(self) -> str:
        return self.cls.name

    @property
    def qualified(self) -> str:
        return self.cls.qualified

    @property
    def display_name(self) -> str:
        return self.remote_config.name or self.cls.name

    @property
    def is_streaming(self) -> bool:
        return self.run_remote is not None and self.run_remote.yields


@dataclass(eq=False)
class Chain:
    """A chain: a file with an entrypoint, and the chainlets reachable from it."""

    path: Path
    entrypoint: Chainlet
    name: str | None  # mark_entrypoint("Name") or None
    chainlets: tuple[Chainlet, ...]  # entrypoint first, then dependencies (breadth first)
    implicit_entrypoint: bool  # True when the file has a single chainlet and no mark


@dataclass(eq=False)
class ChainModel:
    """All modules analysed together, their chainlets and the chains they form."""

    modules: dict[str, ModuleInfo]  # by module name
    chainlets: dict[str, Chainlet]  # by qualified class name
    chains: list[Chain]
    linted_paths: tuple[Path, ...]
    namespace: Namespace
    # chainlets_in() index: (len(chainlets) when built, chainlets by id(module)).
    _by_module: tuple[int, dict[int, list[Chainlet]]] | None = field(default=None, repr=False)

    def module_for_path(self, path: Path) -> ModuleInfo | None:
        for module in self.modules.values():
            if module.path == path:
                return module
        return None

    def chainlets_in(self, module: ModuleInfo) -> list[Chainlet]:
        # Indexed once: every rule asks this for every linted file, and a folder
        # of many chain files is one model.
        if self._by_module is None or self._by_module[0] != len(self.chainlets):
            by_module: dict[int, list[Chainlet]] = {}
            for chainlet in self.chainlets.values():
                by_module.setdefault(id(chainlet.module), []).append(chainlet)
            self._by_module = (len(self.chainlets), by_module)
        return list(self._by_module[1].get(id(module), []))

    def chainlet_for(self, qualified: str | None) -> Chainlet | None:
        return self.chainlets.get(qualified) if qualified else None
