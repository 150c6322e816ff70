"""pytest plugin (entry point ``chains_runtime``): chain files that import truss_chains
run under pytest without truss.

Registered through the ``pytest11`` entry point, it installs the ``truss_chains``
import alias when pytest starts (``import_alias.install``), which never shadows a
real truss installation. Set ``CHAINS_RUNTIME_NO_TRUSS_ALIAS=1`` to turn it off, or
disable the plugin with ``-p no:chains_runtime``.
"""

from __future__ import annotations

import os

from chains_runtime import import_alias

DISABLE_VARIABLE = "CHAINS_RUNTIME_NO_TRUSS_ALIAS"


def _enabled() -> bool:
    return os.environ.get(DISABLE_VARIABLE, "").strip().lower() not in {"1", "true", "yes"}


def pytest_configure(config: object) -> None:
    if _enabled():
        import_alias.install()


def pytest_report_header(config: object) -> str | None:
    if import_alias.is_installed() and import_alias.resolves_to_alias():
        return "chains_runtime: `import truss_chains` loads chains_runtime (truss not installed)"
    return None
