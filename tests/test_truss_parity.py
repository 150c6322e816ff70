"""Every public name of ``truss_chains`` 0.18.36 exists in chains_runtime, and the README's
compatibility table says what each does here.

The public API is read from a real truss, installed in its own virtual environment by the
machinery of tests/test_truss_agreement.py (tests/truss_public_names.py runs there). The
public API is ``truss_chains.__all__`` and the package's submodules: those that hold the
top-level names (``public_api``...) must hold them here too; those with an API of their own
(``streaming``, ``pydantic_numpy``) must define the same names; the Baseten-only ones must
import and refuse to be used.
"""

from __future__ import annotations

import enum
import importlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import chains_runtime
import pydantic
import pytest
from chains_runtime import asset_types, import_alias, truss_config_alias
from chains_runtime.baseten_only import BASETEN_ONLY, BASETEN_ONLY_MODULES, BasetenOnlyError

from tests.test_truss_agreement import TRUSS_VERSION, VENV_DIR, _install_truss, _run

PUBLIC_NAMES_SCRIPT = Path(__file__).parent / "truss_public_names.py"
README = Path(__file__).resolve().parent.parent / "README.md"
TABLE_TITLE = "### Compatibility with truss_chains"
SCRIPT_TIMEOUT_SEC = 300

# How each top-level submodule of truss_chains is compared; a new truss submodule fails
# test_every_truss_submodule_is_classified until it is added here.
REEXPORTING_SUBMODULES = frozenset({"public_api", "public_types", "framework", "utils"})
"""They hold the top-level names chain files import from them (and truss's internals)."""
API_SUBMODULES = frozenset({"streaming", "pydantic_numpy"})
"""Their own public API, which chain files import: every name they define must exist here."""
PRIVATE_SUBMODULES = frozenset({"private_types"})
"""Private by name: chain files do not import them."""


@dataclass(frozen=True)
class TrussApi:
    names: tuple[str, ...]
    attributes: tuple[str, ...]
    defined: dict[str, tuple[str, ...]]
    reexported: dict[str, tuple[str, ...]]


@pytest.fixture(scope="module")
def truss_api() -> TrussApi:
    python = _install_truss(VENV_DIR)
    result = _run([str(python), str(PUBLIC_NAMES_SCRIPT)], timeout=SCRIPT_TIMEOUT_SEC)
    assert result.returncode == 0, f"listing truss_chains' names failed:\n{result.stderr[-4000:]}"
    record = json.loads(result.stdout)
    assert record["version"] == TRUSS_VERSION
    submodules = record["submodules"]
    return TrussApi(
        names=tuple(record["names"]),
        attributes=tuple(record["attributes"]),
        defined={name: tuple(info["defined"]) for name, info in submodules.items()},
        reexported={name: tuple(info["reexported"]) for name, info in submodules.items()},
    )


@pytest.fixture(scope="module")
def alias() -> ModuleType:
    """``truss_chains`` as chain files get it here: chains_runtime under truss's name."""
    import_alias.install()
    module = importlib.import_module("truss_chains")
    assert import_alias.is_alias(module), "a real truss_chains is importable in .venv"
    return module


def test_the_truss_api_is_read(truss_api: TrussApi) -> None:
    assert {"ChainletBase", "depends", "StubBase", "push"} <= set(truss_api.names)
    assert {"streaming", "deployment", "public_types"} <= set(truss_api.defined)


def test_every_public_name_exists(truss_api: TrussApi, alias: ModuleType) -> None:
    missing = [name for name in truss_api.names if not hasattr(chains_runtime, name)]
    assert missing == [], f"chains_runtime lacks these public names of truss_chains: {missing}"
    assert [name for name in truss_api.names if not hasattr(alias, name)] == []
    for name in truss_api.names:
        assert getattr(alias, name) is getattr(chains_runtime, name), name


def test_every_attribute_of_the_package_exists(truss_api: TrussApi, alias: ModuleType) -> None:
    """``truss_chains.X`` for each public attribute (names and the submodules its
    ``__init__`` imports), except the private ones."""
    wanted = [name for name in truss_api.attributes if name not in PRIVATE_SUBMODULES]
    assert [name for name in wanted if not hasattr(alias, name)] == []


def test_every_truss_submodule_is_classified(truss_api: TrussApi) -> None:
    known = REEXPORTING_SUBMODULES | API_SUBMODULES | PRIVATE_SUBMODULES | BASETEN_ONLY_MODULES
    assert sorted(set(truss_api.defined) - known) == []


def test_reexporting_submodules_hold_the_same_names(truss_api: TrussApi, alias: ModuleType) -> None:
    missing: dict[str, list[str]] = {}
    for submodule in sorted(REEXPORTING_SUBMODULES & set(truss_api.reexported)):
        module = importlib.import_module(f"truss_chains.{submodule}")
        lacking = [n for n in truss_api.reexported[submodule] if not hasattr(module, n)]
        if lacking:
            missing[submodule] = lacking
    assert missing == {}


def test_api_submodules_define_the_same_names(truss_api: TrussApi, alias: ModuleType) -> None:
    missing: dict[str, list[str]] = {}
    for submodule in sorted(API_SUBMODULES & set(truss_api.defined)):
        try:
            module = importlib.import_module(f"truss_chains.{submodule}")
        except ImportError as exc:
            missing[submodule] = [f"(the module does not import: {exc})"]
            continue
        lacking = [n for n in truss_api.defined[submodule] if not hasattr(module, n)]
        if lacking:
            missing[submodule] = lacking
    assert missing == {}, f"chains_runtime lacks these submodule names of truss_chains: {missing}"


def test_baseten_only_submodules_import_and_refuse_use(
    truss_api: TrussApi, alias: ModuleType
) -> None:
    for submodule in sorted(BASETEN_ONLY_MODULES & set(truss_api.defined)):
        module = importlib.import_module(f"truss_chains.{submodule}")
        with pytest.raises(BasetenOnlyError):
            _ = module.anything


# -- the README's compatibility table --------------------------------------------------------


def _compatibility_rows() -> list[tuple[str, str]]:
    """(first cell, second cell) of each row of the README's compatibility table."""
    text = README.read_text(encoding="utf-8")
    assert TABLE_TITLE in text, f"README.md has no {TABLE_TITLE!r} section"
    section = text.split(TABLE_TITLE, 1)[1].split("\n#", 1)[0]
    rows: list[tuple[str, str]] = []
    for line in section.splitlines():
        if not line.startswith("|") or line.startswith("|---"):
            continue
        cells = [cell.strip() for cell in re.split(r"(?<!\\)\|", line.strip("|"))]
        rows.append((cells[0], cells[1] if len(cells) > 1 else ""))
    return rows[1:]  # without the header


def _listed_names(cell: str) -> set[str]:
    """The names a first cell lists: each backticked item's leading dotted name, with and
    without a ``truss_chains.`` prefix (``depends(..., use_binary=True)`` lists ``depends``)."""
    names: set[str] = set()
    for item in re.findall(r"`([^`]+)`", cell):
        match = re.match(r"[A-Za-z_][\w.]*", item)
        if match:
            name = match.group(0)
            names.add(name)
            names.add(name.removeprefix("truss_chains."))
    return names


def _row_of(name: str, rows: list[tuple[str, str]]) -> tuple[str, str] | None:
    for row in rows:
        listed = _listed_names(row[0])
        if name in listed or any(item.startswith(name + ".") for item in listed):
            return row
    return None


def test_the_readme_table_lists_every_public_name(truss_api: TrussApi) -> None:
    rows = _compatibility_rows()
    features = [
        *truss_api.names,
        *sorted((API_SUBMODULES | BASETEN_ONLY_MODULES) & set(truss_api.defined)),
    ]
    missing = [name for name in features if _row_of(name, rows) is None]
    assert missing == [], f"README.md's compatibility table does not list: {missing}"


def test_the_readme_table_marks_exactly_the_baseten_only_names() -> None:
    rows = _compatibility_rows()
    for name in BASETEN_ONLY:
        row = _row_of(name, rows)
        assert row is not None and row[1].startswith("Baseten-only"), (name, row)
    marked = {
        name
        for first, here in rows
        if here.startswith("Baseten-only")
        for name in _listed_names(first)
        if name.isidentifier() and not name.startswith("truss")
    }
    assert marked - set(BASETEN_ONLY) == set(), "marked Baseten-only but usable here"


_CONFIG_SHAPES = """
import enum, json, sys
from truss.base import truss_config
shapes = {}
for name in sys.argv[1:]:
    value = getattr(truss_config, name)
    if isinstance(value, type) and issubclass(value, enum.Enum):
        shapes[name] = sorted(member.value for member in value)
    else:
        shapes[name] = sorted(value.model_fields)
print(json.dumps(shapes))
"""


def _config_shape(value: object) -> list[str]:
    if isinstance(value, type) and issubclass(value, enum.Enum):
        return sorted(member.value for member in value)
    assert isinstance(value, type) and issubclass(value, pydantic.BaseModel), value
    return sorted(value.model_fields)


def test_truss_config_names_match_truss() -> None:
    """What ``from truss.base import truss_config`` gives chain files here has truss's fields
    (models) and values (enums), so ``truss_config.WebsocketOptions(ping_interval_seconds=5)``
    or ``Compute(gpu=truss_config.Accelerator.A10G)`` runs unchanged."""
    python = _install_truss(VENV_DIR)
    command = [str(python), "-c", _CONFIG_SHAPES, *truss_config_alias.CONFIG_NAMES]
    result = _run(command, timeout=SCRIPT_TIMEOUT_SEC)
    assert result.returncode == 0, result.stderr[-4000:]
    truss_shapes = json.loads(result.stdout)
    ours = {
        name: _config_shape(getattr(asset_types, name))
        for name in truss_config_alias.CONFIG_NAMES
    }
    assert ours == truss_shapes
