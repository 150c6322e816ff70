"""Write the linter's SDK tables from the runtime's own definitions.

The SDK's options are defined once, by the runtime: the pydantic models of
``chains_runtime.definitions`` (``RemoteConfig``, ``DockerImage``, ``Compute``, ``Assets``,
``ChainletOptions``, ``CustomImage``, ``RPCOptions``, ``BasetenImage``) and the signature of
``chains_runtime.markers.depends``. The linter must not import pydantic or the runtime when it
lints (its start-up time), so this script writes what it needs to know about them as plain
data into ``chains_lint/model/sdk_tables.py``, and copies the runtime's memory-quantity grammar
(``chains_runtime/memory_quantity.py``, standard library only) to
``chains_lint/model/memory_quantity.py``.

    .venv/bin/python scripts/generate_sdk_tables.py          # write the files
    .venv/bin/python scripts/generate_sdk_tables.py --check  # exit 1 if they are stale

``tests/test_sdk_tables.py`` runs the check, so a field added to the runtime's models cannot
become a false "unknown argument" (CH702) without the tests failing.
"""

from __future__ import annotations

import argparse
import dataclasses
import enum
import inspect
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import annotated_types
import pydantic

REPO = Path(__file__).resolve().parent.parent
TABLES_PATH = REPO / "chains_lint" / "model" / "sdk_tables.py"
GRAMMAR_SOURCE = REPO / "runtime" / "chains_runtime" / "memory_quantity.py"
GRAMMAR_COPY = REPO / "chains_lint" / "model" / "memory_quantity.py"
COMMAND = ".venv/bin/python scripts/generate_sdk_tables.py"

_HEADER = (
    "# A copy of runtime/chains_runtime/memory_quantity.py, by scripts/generate_sdk_tables.py;\n"
    f"# do not edit: change the original and run `{COMMAND}`.\n"
)


@dataclass(frozen=True)
class SdkSources:
    """What the tables are made from (the runtime's by default; tests pass variants)."""

    constructors: tuple[type[pydantic.BaseModel], ...]
    baseten_image: type[enum.Enum]
    depends: Callable[..., object]
    server_limit_names: tuple[str, ...]
    docker_image: str = "DockerImage"
    base_image_field: str = "base_image"
    chainlet_options: str = "ChainletOptions"


def runtime_sources() -> SdkSources:
    from chains_runtime import definitions, markers
    from chains_runtime.server.limits import ServerLimits

    return SdkSources(
        constructors=(
            definitions.RemoteConfig,
            definitions.DockerImage,
            definitions.Compute,
            definitions.Assets,
            definitions.CustomImage,
            definitions.ChainletOptions,
            definitions.RPCOptions,
        ),
        baseten_image=definitions.BasetenImage,
        depends=markers.depends,
        server_limit_names=tuple(f.name for f in dataclasses.fields(ServerLimits)),
    )


def _own_init(model: type[pydantic.BaseModel]) -> inspect.Signature | None:
    """The signature of ``model``'s own ``__init__`` (positional arguments), or None."""
    if "__init__" not in model.__dict__:
        return None
    return inspect.signature(model.__dict__["__init__"])


def parameters(model: type[pydantic.BaseModel]) -> tuple[str, ...]:
    """The constructor's parameters, in positional order."""
    signature = _own_init(model)
    if signature is None:
        return tuple(model.model_fields)
    names = tuple(name for name in signature.parameters if name != "self")
    if set(names) != set(model.model_fields):
        raise SystemExit(
            f"{model.__name__}.__init__ takes {sorted(names)} but the model's fields are "
            f"{sorted(model.model_fields)}: make them the same"
        )
    return names


def _plain(value: object) -> object:
    """A default as a literal: enum members by value, tuples as lists."""
    if isinstance(value, enum.Enum):
        return _plain(value.value)
    if isinstance(value, (list, tuple)):
        return [_plain(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise _NotLiteralError


class _NotLiteralError(Exception):
    pass


def literal_defaults(model: type[pydantic.BaseModel]) -> dict[str, object]:
    """The fields' defaults that are literals (nested config models are left out)."""
    defaults: dict[str, object] = {}
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            try:
                value = info.default_factory()  # type: ignore[call-arg]
            except TypeError:
                continue
        else:
            value = info.default
        if value is pydantic_core_undefined():
            continue
        try:
            defaults[name] = _plain(value)
        except _NotLiteralError:
            continue
    return defaults


def pydantic_core_undefined() -> object:
    import pydantic_core

    return pydantic_core.PydanticUndefined


def minimums(model: type[pydantic.BaseModel]) -> dict[str, int | float]:
    """The ``ge=`` bound of each field that has one."""
    found: dict[str, int | float] = {}
    for name, info in model.model_fields.items():
        for constraint in info.metadata:
            if isinstance(constraint, annotated_types.Ge) and isinstance(
                constraint.ge, (int, float)
            ):
                found[name] = constraint.ge
    return found


def depends_options(depends: Callable[..., object]) -> tuple[dict[str, object], dict[str, object]]:
    """``depends()``'s options after the chainlet class: (positional ones, keyword-only ones)."""
    positional: dict[str, object] = {}
    keyword_only: dict[str, object] = {}
    for index, (name, parameter) in enumerate(inspect.signature(depends).parameters.items()):
        if index == 0:
            continue  # the chainlet class
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY:
            keyword_only[name] = parameter.default
        else:
            positional[name] = parameter.default
    return positional, keyword_only


def _repr(value: object) -> str:
    """``repr`` with double-quoted strings, as the project writes them."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    return repr(value)


def _literal_text(value: object, indent: int) -> str:
    """``value`` as Python source, one item a line for containers (ruff format style)."""
    pad = " " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = "".join(
            f"{pad}    {_repr(key)}: {_literal_text(item, indent + 4)},\n"
            for key, item in value.items()
        )
        return "{\n" + items + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[" + ", ".join(_literal_text(item, indent) for item in value) + "]"
    if isinstance(value, tuple):
        items = "".join(f"{pad}    {_repr(item)},\n" for item in value)
        return "(\n" + items + pad + ")"
    if isinstance(value, frozenset):
        return "frozenset({" + ", ".join(_repr(item) for item in sorted(value)) + "})"
    return _repr(value)


def render_tables(sources: SdkSources) -> str:
    """The text of ``chains_lint/model/sdk_tables.py``."""
    by_name = {model.__name__: model for model in sources.constructors}
    options = by_name[sources.chainlet_options]
    positional, keyword_only = depends_options(sources.depends)
    base_image_default = by_name[sources.docker_image].model_fields[sources.base_image_field]
    limit_minimums = minimums(options)
    sections = [
        '"""The SDK\'s constructors and ``depends()`` options, as data: generated from the '
        "runtime.\n\n"
        "Made by ``scripts/generate_sdk_tables.py`` from the pydantic models of\n"
        "``chains_runtime.definitions`` and the signature of ``chains_runtime.markers.depends``,\n"
        "so the linter knows the SDK without importing pydantic or the runtime. Do not edit:\n"
        f"change the runtime and run ``{COMMAND}``\n"
        '(``tests/test_sdk_tables.py`` fails while this file is stale).\n"""\n',
        "from __future__ import annotations\n",
        "Default = None | bool | int | float | str | list[object] | dict[str, object]\n",
        "PARAMETERS: dict[str, tuple[str, ...]] = "
        + _literal_text({name: parameters(model) for name, model in by_name.items()}, 0)
        + '\n"""Each constructor\'s parameters, in positional order."""\n',
        "POSITIONAL: frozenset[str] = "
        + _literal_text(
            frozenset(name for name, model in by_name.items() if _own_init(model) is not None), 0
        )
        + '\n"""Constructors that take positional arguments; the others (plain pydantic models)'
        ' take\nkeyword arguments only."""\n',
        "DEFAULTS: dict[str, dict[str, Default]] = "
        + _literal_text({name: literal_defaults(model) for name, model in by_name.items()}, 0)
        + '\n"""Each constructor\'s literal defaults (enum members as their values)."""\n',
        "MINIMUMS: dict[str, dict[str, int | float]] = "
        + _literal_text(
            {name: found for name, model in by_name.items() if (found := minimums(model))}, 0
        )
        + '\n"""The smallest value (``ge=``) of the fields that have one."""\n',
        "SERVER_LIMIT_MINIMUMS: dict[str, int | float] = "
        + _literal_text(
            {
                name: limit_minimums[name]
                for name in options.model_fields
                if name in sources.server_limit_names
            },
            0,
        )
        + f'\n"""The ``{sources.chainlet_options}`` fields named like the server\'s limits\n'
        '(``chains_runtime.server.limits.ServerLimits``), with their smallest value."""\n',
        "BASETEN_IMAGES: dict[str, str] = "
        + _literal_text({m.name: m.value for m in sources.baseten_image}, 0)
        + '\n"""``BasetenImage`` members and their values."""\n',
        f"DEFAULT_BASETEN_IMAGE = {_repr(_plain(base_image_default.default))}\n"
        '"""The ``BasetenImage`` value an unset ``base_image`` means."""\n',
        f"DEPENDS_TARGET = {_repr(next(iter(inspect.signature(sources.depends).parameters)))}\n",
        "DEPENDS_POSITIONAL_OPTIONS: dict[str, bool | int | float] = "
        + _literal_text(positional, 0)
        + '\n"""``depends()``\'s options after the chainlet class, in positional order, with their'
        ' defaults."""\n',
        "DEPENDS_KEYWORD_ONLY_OPTIONS: dict[str, bool | int | float] = "
        + _literal_text(keyword_only, 0)
        + '\n"""``depends()``\'s keyword-only options (not in truss), with their defaults."""\n',
    ]
    return "\n".join(sections)


def render_grammar() -> str:
    """The text of the linter's copy of the memory-quantity grammar."""
    return _HEADER + GRAMMAR_SOURCE.read_text(encoding="utf-8")


def outputs(sources: SdkSources | None = None) -> dict[Path, str]:
    return {
        TABLES_PATH: render_tables(sources or runtime_sources()),
        GRAMMAR_COPY: render_grammar(),
    }


def stale_files(sources: SdkSources | None = None) -> list[Path]:
    """The generated files whose text differs from what the generator writes now."""
    return [
        path
        for path, text in outputs(sources).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument(
        "--check", action="store_true", help="write nothing; exit 1 if a file is stale"
    )
    args = parser.parse_args(argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"{path.relative_to(REPO)} is stale: run {COMMAND}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs().items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
