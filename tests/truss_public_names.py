"""Print the public API of a real ``truss_chains`` as one JSON object.

Run this script with the python of a virtual environment where ``truss`` is installed (see
tests/test_truss_parity.py); chains_runtime never imports it. It prints::

    {"version": "0.18.36",
     "names": [...],                        # truss_chains.__all__
     "attributes": [...],                   # dir(truss_chains), without _names
     "submodules": {"streaming": {"defined": [...], "reexported": [...]}, ...}}

for every top-level submodule of the package whose name has no leading underscore:
``defined`` are the public names the submodule defines itself (classes, functions, type
variables), ``reexported`` the names of ``__all__`` it holds.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import logging
import pkgutil
import sys
import warnings

# truss is installed only in the environment that runs this script, not in .venv.
import truss_chains  # type: ignore[import-not-found, unused-ignore]


def _defined_names(module: object, module_name: str) -> list[str]:
    return sorted(
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and getattr(value, "__module__", None) == module_name
    )


def main() -> int:
    public = sorted(truss_chains.__all__)
    # Before importing submodules below, which would become attributes of the package.
    attributes = sorted(name for name in dir(truss_chains) if not name.startswith("_"))
    submodules: dict[str, dict[str, list[str]]] = {}
    for info in pkgutil.iter_modules(truss_chains.__path__):
        if info.name.startswith("_"):
            continue
        module_name = f"truss_chains.{info.name}"
        module = importlib.import_module(module_name)
        submodules[info.name] = {
            "defined": _defined_names(module, module_name),
            "reexported": sorted(name for name in public if hasattr(module, name)),
        }
    json.dump(
        {
            "version": importlib.metadata.version("truss"),
            "names": public,
            "attributes": attributes,
            "submodules": submodules,
        },
        sys.stdout,
        sort_keys=True,
    )
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    logging.disable(logging.WARNING)  # truss warns about optional packages at import
    warnings.simplefilter("ignore")
    sys.exit(main())
