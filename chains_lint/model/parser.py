"""Parse a source file into a :class:`ModuleInfo` (imports, classes, functions)."""

from __future__ import annotations

import ast
from collections.abc import Iterator, Sequence
from pathlib import Path

import libcst as cst

from chains_lint.diagnostics import Span
from chains_lint.model.annotations import read_type
from chains_lint.model.module import ImportedModule, ModuleInfo, ParseError
from chains_lint.model.sdk import is_sdk_module_name
from chains_lint.model.types import (
    ClassField,
    ClassInfo,
    Decorator,
    FunctionInfo,
    Param,
    ParamKind,
    StaticValue,
)
from chains_lint.model.values import dotted_name, read_call, read_value
from chains_lint.model.walk import same_scope, walk


def parse_module(
    path: Path, name: str, display_path: str, source: str, *, is_package: bool = False
) -> ModuleInfo:
    module = ModuleInfo(path, name, display_path, source, is_package=is_package)
    try:
        tree = cst.parse_module(source)
    except cst.ParserSyntaxError as exc:
        module.parse_error = _precise_syntax_error(source) or ParseError(
            _one_line(exc.message), exc.raw_line, exc.raw_column + 1
        )
        return module
    except (RecursionError, MemoryError, ValueError, TypeError, IndexError) as exc:
        # libcst's native parser rejects some inputs (e.g. deep nesting, odd bytes)
        # with exceptions other than ParserSyntaxError.
        module.parse_error = ParseError(f"cannot parse file: {_one_line(str(exc))}", 1, 1)
        return module
    module.attach_tree(tree)
    _ModuleReader(module).read(tree.body)
    return module


def _precise_syntax_error(source: str) -> ParseError | None:
    """CPython's own message and position for a syntax error, when it has one.

    ``ast.parse`` only parses; nothing is executed. CPython's messages
    ("'(' was never closed") are clearer than the libcst parser's.
    """
    try:
        ast.parse(source)
    except SyntaxError as exc:
        return ParseError(_one_line(exc.msg or "syntax error"), exc.lineno or 1, exc.offset or 1)
    except (ValueError, RecursionError, MemoryError):
        return None
    return None


def _one_line(message: str) -> str:
    first = message.strip().splitlines()
    return first[0] if first else "syntax error"


def _top_level_statements(body: Sequence[cst.CSTNode]) -> Iterator[cst.CSTNode]:
    """Statements at module level, looking into ``if`` / ``try`` / ``with`` blocks."""
    for statement in body:
        if isinstance(statement, cst.SimpleStatementLine):
            yield from statement.body
        elif isinstance(statement, cst.If):
            yield from _top_level_statements(statement.body.body)
            orelse = statement.orelse
            while orelse is not None:
                yield from _top_level_statements(orelse.body.body)
                orelse = orelse.orelse if isinstance(orelse, cst.If) else None
        elif isinstance(statement, cst.Try):
            yield from _top_level_statements(statement.body.body)
            for handler in statement.handlers:
                yield from _top_level_statements(handler.body.body)
            if statement.orelse is not None:
                yield from _top_level_statements(statement.orelse.body.body)
            if statement.finalbody is not None:
                yield from _top_level_statements(statement.finalbody.body.body)
        elif isinstance(statement, cst.With):
            yield from _top_level_statements(statement.body.body)
        else:
            yield statement


class _ModuleReader:
    def __init__(self, module: ModuleInfo) -> None:
        self.module = module

    def read(self, body: Sequence[cst.CSTNode]) -> None:
        statements = list(_top_level_statements(body))
        # Names first, so that qualification works regardless of definition order.
        for statement in statements:
            self._collect_names(statement)
        for statement in statements:
            if isinstance(statement, cst.ClassDef):
                info = read_class(self.module, statement, prefix="", top_level=True)
                self.module.classes[info.name] = info
            elif isinstance(statement, cst.FunctionDef):
                self.module.functions[statement.name.value] = read_function(
                    self.module, statement
                )
                _collect_nested_classes(self.module, statement.body, f"{statement.name.value}.")

    def _collect_names(self, statement: cst.CSTNode) -> None:
        module = self.module
        if isinstance(statement, cst.Import):
            for alias in statement.names:
                full = dotted_name(alias.name) or ""
                module.imported_modules.append(ImportedModule(full, module.span_of(alias)))
                if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                    module.imports[alias.asname.name.value] = full
                else:
                    top = full.partition(".")[0]
                    module.imports[top] = top
                if is_sdk_module_name(full):
                    module.imports_sdk = True
        elif isinstance(statement, cst.ImportFrom):
            self._collect_import_from(statement)
        elif isinstance(statement, (cst.ClassDef, cst.FunctionDef)):
            module.defined_names.add(statement.name.value)
        elif isinstance(statement, cst.Assign):
            for target in statement.targets:
                if isinstance(target.target, cst.Name):
                    self._define_constant(target.target.value, statement.value)
        elif isinstance(statement, cst.AnnAssign) and isinstance(statement.target, cst.Name):
            if statement.value is not None:
                self._define_constant(statement.target.value, statement.value)
            else:
                self.module.defined_names.add(statement.target.value)

    def _define_constant(self, name: str, value: cst.BaseExpression) -> None:
        module = self.module
        if name in module.defined_names or name in module.imports:
            # Assigned twice: not a constant we can rely on.
            module.constants.pop(name, None)
        else:
            module.constants[name] = value
        module.defined_names.add(name)

    def _collect_import_from(self, statement: cst.ImportFrom) -> None:
        module = self.module
        base = dotted_name(statement.module) if statement.module is not None else ""
        if base is None:
            return
        level = len(statement.relative)
        if level:
            package_parts = module.package.split(".") if module.package else []
            if level - 1 > len(package_parts):
                return
            anchor = package_parts[: len(package_parts) - (level - 1)]
            base = ".".join([*anchor, base] if base else anchor)
        if base == "__future__":
            if not isinstance(statement.names, cst.ImportStar) and any(
                isinstance(a.name, cst.Name) and a.name.value == "annotations"
                for a in statement.names
            ):
                module.future_annotations = True
            return
        span = module.span_of(statement)
        if base:
            module.imported_modules.append(ImportedModule(base, span))
        if is_sdk_module_name(base):
            module.imports_sdk = True
        if isinstance(statement.names, cst.ImportStar):
            return
        for alias in statement.names:
            imported = dotted_name(alias.name) or ""
            full = f"{base}.{imported}" if base else imported
            module.imported_modules.append(ImportedModule(full, module.span_of(alias)))
            local = imported
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            module.imports[local] = full


def read_decorators(
    module: ModuleInfo, decorators: Sequence[cst.Decorator]
) -> tuple[Decorator, ...]:
    result: list[Decorator] = []
    for decorator in decorators:
        expr = decorator.decorator
        call = None
        head = expr
        if isinstance(expr, cst.Call):
            call = read_call(module, expr)
            head = expr.func
        written = dotted_name(head) or module.code_for(head)
        qualified = module.qualify(written) if dotted_name(head) else None
        result.append(Decorator(qualified, written, call, module.span_of(decorator), decorator))
    return tuple(result)


def read_class(
    module: ModuleInfo, node: cst.ClassDef, *, prefix: str, top_level: bool
) -> ClassInfo:
    name = node.name.value
    dotted = f"{prefix}{name}"
    qualified = f"{module.name}.{dotted}" if module.name else dotted
    bases: list[StaticValue] = []
    keywords: list[tuple[str, StaticValue]] = []
    for arg in node.bases:
        bases.append(read_value(module, arg.value))
    for arg in node.keywords:
        if arg.keyword is not None:
            keywords.append((arg.keyword.value, read_value(module, arg.value)))
    info = ClassInfo(
        name=name,
        qualified=qualified,
        module_name=module.name,
        bases=tuple(bases),
        keywords=tuple(keywords),
        decorators=read_decorators(module, node.decorators),
        methods={},
        fields=(),
        attributes={},
        is_top_level=top_level,
        span=module.span_of(node.name),
        node=node,
    )
    fields: list[ClassField] = []
    scope = _ClassScope()
    body = node.body.body if isinstance(node.body, cst.IndentedBlock) else [node.body]
    for statement in _top_level_statements(body):
        if isinstance(statement, cst.FunctionDef):
            scope.rebind(statement.name.value)
            info.methods[statement.name.value] = read_function(module, statement)
            _collect_nested_classes(module, statement.body, f"{dotted}.{statement.name.value}.")
        elif isinstance(statement, cst.ClassDef):
            module.nested_classes.append(
                read_class(module, statement, prefix=f"{dotted}.", top_level=False)
            )
        elif isinstance(statement, cst.AnnAssign) and isinstance(statement.target, cst.Name):
            default = (
                read_value(module, statement.value, scope=scope.values) if statement.value else None
            )
            scope.bind(statement.target.value, statement.value)
            fields.append(
                ClassField(
                    statement.target.value,
                    read_type(module, statement.annotation.annotation),
                    default,
                    module.span_of(statement.target),
                )
            )
            if statement.value is not None:
                info.attributes[statement.target.value] = default  # type: ignore[assignment]
        elif isinstance(statement, cst.Assign):
            value = read_value(module, statement.value, scope=scope.values)
            for target in statement.targets:
                if isinstance(target.target, cst.Name):
                    info.attributes[target.target.value] = value
                    scope.bind(target.target.value, statement.value)
    info.fields = tuple(fields)
    return info


class _ClassScope:
    """Names of a class body bound once so far, to the expression they are bound to."""

    def __init__(self) -> None:
        self.values: dict[str, cst.BaseExpression] = {}
        self._seen: set[str] = set()

    def bind(self, name: str, value: cst.BaseExpression | None) -> None:
        if name in self._seen or value is None:
            self.values.pop(name, None)
        else:
            self.values[name] = value
        self._seen.add(name)

    def rebind(self, name: str) -> None:
        self.bind(name, None)


def _collect_nested_classes(module: ModuleInfo, node: cst.CSTNode, prefix: str) -> None:
    """Record classes defined inside functions (they are never top level)."""
    for inner in walk(node, prune=lambda n: isinstance(n, cst.ClassDef)):
        if isinstance(inner, cst.ClassDef):
            module.nested_classes.append(read_class(module, inner, prefix=prefix, top_level=False))


def read_function(module: ModuleInfo, node: cst.FunctionDef) -> FunctionInfo:
    params: list[Param] = []
    p = node.params

    def add(param: cst.Param, kind: ParamKind) -> None:
        annotation = read_type(module, param.annotation.annotation) if param.annotation else None
        default = read_value(module, param.default) if param.default is not None else None
        params.append(
            Param(param.name.value, kind, annotation, default, module.span_of(param), param)
        )

    for param in p.posonly_params:
        add(param, "positional_only")
    for param in p.params:
        add(param, "positional_or_keyword")
    if isinstance(p.star_arg, cst.Param):
        add(p.star_arg, "var_positional")
    for param in p.kwonly_params:
        add(param, "keyword_only")
    if p.star_kwarg is not None:
        add(p.star_kwarg, "var_keyword")
    returns = read_type(module, node.returns.annotation) if node.returns is not None else None
    name_span = module.span_of(node.name)
    body_start = module.span_of(node.body)
    return FunctionInfo(
        name=node.name.value,
        is_async=node.asynchronous is not None,
        params=tuple(params),
        returns=returns,
        decorators=read_decorators(module, node.decorators),
        yields=_body_yields(node.body),
        span=name_span,
        def_span=Span.deferred(
            name_span.path,
            lambda: (name_span.line, name_span.column, body_start.line, body_start.column),
        ),
        node=node,
    )


def _body_yields(body: cst.BaseSuite) -> bool:
    return any(isinstance(node, cst.Yield) for node in same_scope(body))
