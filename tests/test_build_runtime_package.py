"""What every image carries: the runtime package and exactly the dependencies it imports."""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys

import pytest

from benchmarks import build_speed
from chains_build.runtime_package import (
    requirement_name,
    runtime_files,
    runtime_package_dir,
    runtime_requirements,
)


def _extras(requirement: str) -> set[str]:
    found = re.search(r"\[([^\]]*)\]", requirement)
    return {extra.strip() for extra in found.group(1).split(",")} if found else set()


def _distribution_closure(requirements: tuple[str, ...]) -> set[str]:
    """The installed distributions ``requirements`` pull in, transitively (extras included)."""
    seen: set[str] = set()
    pending = [(requirement_name(r), _extras(r)) for r in requirements]
    while pending:
        name, extras = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            declared = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for requirement in declared:
            marker = requirement.partition(";")[2]
            wanted = re.search(r'extra == "([^"]+)"', marker)
            if wanted and wanted.group(1) not in extras:
                continue
            pending.append((requirement_name(requirement), set()))
    return seen


def test_the_runtime_requirements_leave_out_the_linter_and_builder() -> None:
    names = {requirement_name(r) for r in runtime_requirements()}
    # FastAPI serves every chainlet; swagger-ui-bundle-v2 holds the files of its /docs page.
    assert {"fastapi", "httpx", "pydantic", "swagger-ui-bundle-v2", "uvicorn"} <= names
    assert not names & {"libcst", "tomli", "docker", "pyyaml", "chains-toolkit"}
    assert "uvicorn[standard]" in " ".join(runtime_requirements())


def _top_modules(node: ast.AST) -> set[str]:
    if isinstance(node, ast.Import):
        return {alias.name.split(".")[0] for alias in node.names}
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return {node.module.split(".")[0]}
    return set()


def _catches_import_error(handler: ast.ExceptHandler) -> bool:
    names = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    return any(
        isinstance(name, ast.Name) and name.id in ("ImportError", "ModuleNotFoundError")
        for name in names
    )


def test_every_third_party_import_of_the_runtime_is_installed_by_its_requirements() -> None:
    """Optional imports (in a ``try`` that handles ``ImportError``, e.g. ``huggingface_hub``
    for declared weights, which the chain's own requirements bring) are exempt."""
    provided = _distribution_closure(runtime_requirements())
    owners = importlib.metadata.packages_distributions()
    imported: set[str] = set()
    optional: set[str] = set()
    for relative, path in runtime_files():
        if not relative.endswith(".py") or relative.endswith("pytest_plugin.py"):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            imported |= _top_modules(node)
            if isinstance(node, ast.Try) and any(map(_catches_import_error, node.handlers)):
                for statement in node.body:
                    optional |= _top_modules(statement)
    third_party = imported - set(sys.stdlib_module_names) - {"chains_runtime", "__future__"}
    assert {"fastapi", "httpx", "pydantic", "swagger_ui_bundle", "uvicorn"} <= third_party
    assert "huggingface_hub" in optional
    third_party -= optional
    for module in sorted(third_party):
        distributions = {requirement_name(d) for d in owners.get(module, [])}
        assert distributions & provided, f"{module} ({distributions}) is not a runtime dependency"


def test_the_runtime_package_is_copied_without_caches() -> None:
    files = dict(runtime_files())
    assert "chains_runtime/serve.py" in files and "chains_runtime/py.typed" in files
    assert not any("__pycache__" in path or path.endswith(".pyc") for path in files)
    assert all(path.startswith("chains_runtime/") for path in files)
    assert files["chains_runtime/serve.py"] == runtime_package_dir() / "serve.py"


def test_the_build_benchmark_runs_and_reports(capsys: pytest.CaptureFixture[str]) -> None:
    # The benchmark still works and prints its figures; the speed target itself is the
    # benchmark's (`--check`), not the test suite's: a busy machine must not fail a test.
    assert build_speed.main(["--runs", "1", "--chainlets", "2"]) == 0
    report = capsys.readouterr().out
    assert re.fullmatch(
        r"2-chainlet chain \(\d+ files written\), 1 runs: chains-build process min \d+\.\d\d s, "
        r"median \d+\.\d\d s \(target <= \d+ s\); in process min \d+\.\d\d s, "
        r"median \d+\.\d\d s\n",
        report,
    ), report
