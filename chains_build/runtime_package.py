"""The runtime every image carries: the ``chains_runtime`` package and its own dependencies.

The package is copied from where it is installed (without caches), so an image never needs
truss or this toolkit's linter and builder. Its dependencies are this distribution's
requirements restricted to the ones the runtime imports, so adding a dependency for the
linter or the builder (libcst, docker...) does not put it into every image.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import re
from pathlib import Path

from chains_build.errors import BuildError
from chains_build.sources import walk_files

DISTRIBUTION = "chains-toolkit"
PACKAGE = "chains_runtime"
RUNTIME_DISTRIBUTIONS = frozenset(
    {
        "anyio",
        "fastapi",
        "httptools",
        "httpx",
        "msgpack",
        "pydantic",
        "starlette",
        "swagger-ui-bundle-v2",
        "uvicorn",
        "websockets",
    }
)
"""The distributions ``chains_runtime`` imports (with what they bring along)."""

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def requirement_name(requirement: str) -> str:
    """The normalised distribution name a requirement string starts with."""
    match = _NAME.match(requirement.strip())
    return re.sub(r"[-_.]+", "-", match.group()).lower() if match else ""


def runtime_requirements() -> tuple[str, ...]:
    """The runtime's requirement strings, e.g. ``("httpx>=0.27", "uvicorn[standard]>=0.29")``."""
    try:
        declared = importlib.metadata.requires(DISTRIBUTION) or []
    except importlib.metadata.PackageNotFoundError:
        raise BuildError(
            f"the {DISTRIBUTION} distribution is not installed, so the runtime's requirements "
            "are unknown; install it (pip install -e .)"
        ) from None
    chosen = {
        requirement.split(";")[0].strip()
        for requirement in declared
        if requirement_name(requirement) in RUNTIME_DISTRIBUTIONS and "extra ==" not in requirement
    }
    return tuple(sorted(chosen))


def runtime_package_dir() -> Path:
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise BuildError(f"the {PACKAGE} package is not importable; install {DISTRIBUTION}")
    return Path(next(iter(spec.submodule_search_locations)))


def runtime_files() -> list[tuple[str, Path]]:
    """Every file of the package as (path under ``/app``, source), sorted."""
    folder = runtime_package_dir()
    return [(f"{PACKAGE}/{relative}", path) for relative, path in walk_files(folder)]
