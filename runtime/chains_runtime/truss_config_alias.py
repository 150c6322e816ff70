"""Let ``from truss.base import truss_config`` load chains_runtime's config types when truss is
not installed.

Chain files declare cached weights the way truss's docs write them::

    from truss.base import truss_config
    chains.Assets(cached=[truss_config.ModelRepo(repo_id=..., use_volume=True, volume_folder=...)])

``truss.base.truss_config`` then holds ``ModelRepo``, ``ModelRepoSourceKind``, ``WeightsSource``,
``HealthChecks``, the transport options, ``Accelerator``... (``CONFIG_NAMES``, from
``chains_runtime.asset_types``), so such a file imports (in
``chains-run`` and in the images ``chains-build`` writes) and its weights land where truss puts
them. Like the ``truss_chains`` alias, the finder is the last on ``sys.meta_path``: a real
truss installation is always imported instead. ``truss`` and ``truss.base`` are empty packages
here; any other truss module is a ``ModuleNotFoundError`` saying so.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Final

PACKAGES: Final = ("truss", "truss.base")
CONFIG_MODULE: Final = "truss.base.truss_config"
CONFIG_NAMES: Final = (
    "Accelerator",
    "DockerAuthSettings",
    "DockerAuthType",
    "ExternalDataItem",
    "GRPCOptions",
    "HTTPOptions",
    "HealthChecks",
    "ModelRepo",
    "ModelRepoSourceKind",
    "TransportKind",
    "WebsocketOptions",
    "WeightsAuth",
    "WeightsAuthMethod",
    "WeightsSource",
)
_FLAG: Final = "__chains_runtime_truss_config_alias__"


class _Loader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        if module.__name__ == CONFIG_MODULE:
            from chains_runtime import asset_types

            for name in CONFIG_NAMES:
                setattr(module, name, getattr(asset_types, name))
            setattr(module, "__all__", list(CONFIG_NAMES))  # noqa: B010
        module.__doc__ = f"`{module.__name__}` served by chains_runtime (truss is not installed)."
        setattr(module, _FLAG, True)


class TrussConfigAlias(importlib.abc.MetaPathFinder):
    """Finds ``truss``, ``truss.base`` and ``truss.base.truss_config`` as aliases."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname != "truss" and not fullname.startswith("truss."):
            return None
        if fullname != "truss" and not _is_alias(sys.modules.get("truss")):
            return None  # a real truss: its modules are its own
        if fullname in PACKAGES:
            return importlib.util.spec_from_loader(fullname, _Loader(), is_package=True)
        if fullname == CONFIG_MODULE:
            return importlib.util.spec_from_loader(fullname, _Loader(), is_package=False)
        raise ModuleNotFoundError(
            f"No module named {fullname!r}: truss is not installed, and chains_runtime provides "
            f"only `{CONFIG_MODULE}` ({', '.join(CONFIG_NAMES)}); install truss for the rest",
            name=fullname,
        )


def _is_alias(module: object) -> bool:
    return isinstance(module, ModuleType) and getattr(module, _FLAG, False) is True


def install() -> None:
    """Register the finder once, last on ``sys.meta_path``."""
    if not any(isinstance(finder, TrussConfigAlias) for finder in sys.meta_path):
        sys.meta_path.append(TrussConfigAlias())


def uninstall() -> None:
    """Remove the finder and forget the alias modules already imported."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, TrussConfigAlias)]
    for name in [n for n in sys.modules if n == "truss" or n.startswith("truss.")]:
        if _is_alias(sys.modules[name]):
            del sys.modules[name]
