"""The findings the classifier reports, with their reasons and fixes."""

from __future__ import annotations

from collections.abc import Container

from chains_lint.model.types import ClassInfo, TypeExpr
from chains_lint.rules.json_safety.class_facts import ClassKind
from chains_lint.rules.json_safety.names import (
    ABC_MODULE,
    MAPPING_HEADS,
    TUPLE_HEADS,
    names_in,
    top_module,
)
from chains_lint.rules.json_safety.results import Finding, Problem

_CALLABLES = names_in("typing", "Callable", "Awaitable", "Coroutine") | names_in(
    ABC_MODULE, "Callable", "Awaitable", "Coroutine"
)
_TYPE_OBJECTS = frozenset({"builtins.type", "typing.Type"})
_ANY = frozenset({"typing.Any", "builtins.object"})
_SECRETS = names_in("pydantic", "SecretStr", "SecretBytes")

# Third-party array/frame/image libraries: (why, how to send the data instead).
_DATA_LIBRARIES = {
    "numpy": ("numpy arrays and scalars", "send `list[float]` (e.g. `array.tolist()`)"),
    "torch": ("torch tensors", "send `list[float]` (e.g. `tensor.tolist()`)"),
    "tensorflow": ("tensorflow tensors", "send `list[float]`"),
    "jax": ("jax arrays", "send `list[float]`"),
    "cupy": ("cupy arrays", "send `list[float]`"),
    "pandas": ("pandas objects", "send `list[dict[str, ...]]` (`frame.to_dict('records')`)"),
    "polars": ("polars objects", "send `list[dict[str, ...]]` (`frame.to_dicts()`)"),
    "PIL": ("PIL images", "send the image as a base64-encoded `str` or a URL"),
}


def not_json(expr: TypeExpr, reason: str, fix: str) -> Finding:
    return Finding(Problem.NOT_JSON, expr, expr, reason, fix)


def unknown(expr: TypeExpr, reason: str, fix: str) -> Finding:
    return Finding(Problem.UNKNOWN, expr, expr, reason, fix)


def bad_key(key: TypeExpr, reason: str) -> Finding:
    return not_json(
        key, f"JSON object keys are strings and {reason}",
        "use `str` keys (or `int`, a string enum, a `Literal` of strings)",
    )


def none_key(key: TypeExpr) -> Finding:
    return bad_key(
        key, "a `None` key is written as the string \"None\" and read back as that string"
    )


def arity(expr: TypeExpr, head: str, wanted: str, example: str) -> Finding:
    name = head.rpartition(".")[2]
    return not_json(
        expr, f"`{name}` takes {wanted}, not {len(expr.args)}", f"write e.g. `{example}`"
    )


def untyped_container(expr: TypeExpr, name: str) -> Finding:
    short = name.rpartition(".")[2]
    example = "dict[str, int]" if name in MAPPING_HEADS else f"{short.lower()}[int]"
    if name in TUPLE_HEADS:
        example = "tuple[int, ...]"
    return Finding(
        Problem.UNTYPED, expr, expr,
        f"`{expr.text}` has no item types, so pydantic accepts anything and cannot check "
        "that the items can be sent as JSON",
        f"give the item types, e.g. `{example}`",
    )


def iterator(expr: TypeExpr) -> Finding:
    return not_json(
        expr, f"`{expr.text}` is a one-shot iterator, not a value pydantic can send as JSON",
        "use `list[...]`; to stream results, yield them from `run_remote` and annotate its "
        "return type as `AsyncIterator[...]`",
    )


def bytes_in_model(expr: TypeExpr) -> Finding:
    return Finding(
        Problem.BYTES, expr, expr,
        "inside a pydantic model, `bytes` is written to JSON as UTF-8 text, which fails for "
        "binary data",
        "use `pydantic.Base64Bytes`, or set `model_config = pydantic.ConfigDict("
        "ser_json_bytes=\"base64\", val_json_bytes=\"base64\")` on the model",
    )


def known_not_json(expr: TypeExpr, name: str) -> Finding | None:
    """Types known not to be JSON data, with the reason why."""
    if name in _ANY:
        return not_json(
            expr,
            f"`{expr.text}` lets any value through unchecked, so a value that is not "
            "JSON (an array, an object) fails only at run time",
            "annotate with a concrete type, e.g. `str`, `dict[str, float]` or a pydantic model",
        )
    if name == "pydantic.BaseModel":
        return not_json(
            expr,
            "pydantic serialises a value by its declared type, and bare "
            "`pydantic.BaseModel` declares no fields, so nothing is sent",
            "annotate with your concrete model class",
        )
    if name in _CALLABLES or name in _TYPE_OBJECTS:
        return not_json(
            expr,
            f"`{expr.text}` is code or a type, not data that can be sent as JSON",
            "send plain data and choose the behaviour from it",
        )
    if name in _SECRETS:
        return not_json(
            expr,
            f"pydantic writes `{expr.text}` to JSON as '**********', so the value is lost",
            "send a plain `str` (or read secrets from the deployment context)",
        )
    library = _DATA_LIBRARIES.get(top_module(name))
    if library is not None:
        what, fix = library
        return not_json(
            expr, f"pydantic cannot serialise {what} (`{name}`) to JSON",
            f"{fix} or a base64-encoded `str`",
        )
    if name.startswith("builtins."):
        return not_json(
            expr, f"`{expr.text}` is not a data type pydantic can carry as JSON",
            "use `str`, `int`, `float`, `bool`, a container or a pydantic model",
        )
    return None


def local_class(expr: TypeExpr, cls: ClassInfo, kind: ClassKind) -> Finding:
    prefix = f"{cls.module_name}." if cls.module_name else ""
    dotted = cls.qualified[len(prefix):] if cls.qualified.startswith(prefix) else cls.name
    owner = dotted.rpartition(".")[0] or "another scope"
    return Finding(
        Problem.LOCAL_CLASS,
        expr,
        expr,
        f"the {kind.value} `{cls.name}` is defined inside `{owner}`, so the generated "
        "server cannot import it",
        f"move `{cls.name}` to module top level",
    )


def sdk_object(expr: TypeExpr, *, websocket: bool) -> Finding:
    if websocket:
        return not_json(
            expr, "a websocket is a connection, not a value that can be sent as JSON",
            "use `WebSocketProtocol` only as the sole parameter of `run_remote`",
        )
    return not_json(
        expr, f"`{expr.text}` is an object of the chain SDK, not data that can be sent as JSON",
        "send plain data (strings, numbers, lists, pydantic models) instead",
    )


def unresolved(expr: TypeExpr, written: str) -> Finding:
    return unknown(
        expr,
        f"cannot resolve `{written}`: it is neither imported nor defined at module level",
        f"import `{written}` or define it at module top level",
    )


def invisible(expr: TypeExpr, canonical: str, analysed: Container[str]) -> Finding:
    """A class or type the linter cannot see; ``analysed``: the analysed module names."""
    module = top_module(canonical)
    if module in analysed or canonical.rpartition(".")[0] in analysed:
        reason = f"cannot find the definition of `{canonical}` in the analysed files"
    elif module in ("typing", "collections", "builtins", "types"):
        reason = f"`{canonical}` is not a type the linter knows pydantic can carry as JSON"
    else:
        reason = (
            f"cannot see the definition of `{canonical}` (module `{module}` is not among "
            "the analysed files), so the linter cannot tell whether pydantic can carry "
            "it as JSON"
        )
    return unknown(
        expr, reason,
        "use JSON types or a pydantic model defined in your code; if it is a pydantic "
        "model, suppress this with `# noqa`",
    )
