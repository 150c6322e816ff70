"""Let ``import truss_chains`` load chains_runtime when truss is not installed.

``install()`` appends a finder to the *end* of ``sys.meta_path``. Python asks it
only after every other finder failed to find ``truss_chains``, so a real truss
installation is always imported instead: the alias never shadows it.

The alias module ``truss_chains`` holds the same objects as ``chains_runtime``
(``truss_chains.ChainletBase is chains_runtime.ChainletBase``). The truss
submodules chain files import names from (``public_api``, ``public_types``,
``framework``, ``utils``, ``remote_chainlet.stub``) hold them too. The Baseten-only
``deployment`` and ``remote_chainlet`` import, and reading a name from them (or importing a
module below them) raises ``BasetenOnlyError`` (see ``chains_runtime.baseten_only``); other
truss submodules raise a ``ModuleNotFoundError`` that says chains_runtime does not provide them.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import importlib.util
import sys
from collections.abc import Sequence
from types import ModuleType

from chains_runtime import truss_config_alias

ALIAS = "truss_chains"
# truss_chains submodules whose public names chain files import; each alias holds
# every public name of chains_runtime.
SUBMODULES: frozenset[str] = frozenset({"public_api", "public_types", "framework", "utils"})
_ALIAS_FLAG = "__chains_runtime_alias__"


class _AliasLoader(importlib.abc.Loader):
    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None  # the default module object

    def exec_module(self, module: ModuleType) -> None:
        import chains_runtime

        for name in chains_runtime.__all__:
            setattr(module, name, getattr(chains_runtime, name))
        setattr(module, "__all__", list(chains_runtime.__all__))  # noqa: B010
        module.__doc__ = f"`{module.__name__}` served by chains_runtime (truss is not installed)."
        setattr(module, _ALIAS_FLAG, True)
        if module.__name__ == ALIAS:
            setattr(module, "__getattr__", _submodule_attribute)  # noqa: B010


def _submodule_attribute(name: str) -> ModuleType:
    """``truss_chains.framework`` without importing it first, as truss's ``__init__`` imports
    the ``SUBMODULES``."""
    if name in SUBMODULES:
        return importlib.import_module(f"{ALIAS}.{name}")
    raise AttributeError(f"module {ALIAS!r} has no attribute {name!r}")


class _BasetenOnlyLoader(importlib.abc.Loader):
    """``truss_chains.deployment`` and ``truss_chains.remote_chainlet``: importable, and any
    name read from them raises ``BasetenOnlyError``."""

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        from chains_runtime.baseten_only import BasetenOnlyModule

        return BasetenOnlyModule(spec.name)

    def exec_module(self, module: ModuleType) -> None:
        setattr(module, _ALIAS_FLAG, True)


# truss_chains submodules that stand for one chainlet module (its public names).
MODULE_ALIASES: dict[str, str] = {
    "pydantic_numpy": "chains_runtime.pydantic_numpy",
    "streaming": "chains_runtime.streaming",
}


class _ModuleAliasLoader(importlib.abc.Loader):
    """A submodule holding the public names of one chainlet module (``MODULE_ALIASES``)."""

    def __init__(self, target: str) -> None:
        self.target = target

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return None

    def exec_module(self, module: ModuleType) -> None:
        target = importlib.import_module(self.target)
        for name, value in vars(target).items():
            if not name.startswith("_"):
                setattr(module, name, value)
        module.__doc__ = target.__doc__
        setattr(module, _ALIAS_FLAG, True)


class TrussChainsAlias(importlib.abc.MetaPathFinder):
    """Finds ``truss_chains`` (and its known submodules) as aliases of chains_runtime."""

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname == ALIAS:
            return importlib.util.spec_from_loader(fullname, _AliasLoader(), is_package=True)
        if not fullname.startswith(ALIAS + "."):
            return None
        if not is_alias(sys.modules.get(ALIAS)):
            return None  # a real truss_chains: its own submodules are its business
        submodule = fullname[len(ALIAS) + 1 :]
        if submodule in SUBMODULES:
            return importlib.util.spec_from_loader(fullname, _AliasLoader(), is_package=False)
        if submodule in MODULE_ALIASES:
            loader = _ModuleAliasLoader(MODULE_ALIASES[submodule])
            return importlib.util.spec_from_loader(fullname, loader, is_package=False)
        baseten_only = _baseten_only_spec(fullname, submodule)
        if baseten_only is not None:
            return baseten_only
        known = ", ".join(f"`{ALIAS}.{name}`" for name in sorted(SUBMODULES))
        raise ModuleNotFoundError(
            f"No module named {fullname!r}: truss is not installed, and chains_runtime, which "
            f"stands in for `{ALIAS}`, provides only `{ALIAS}` and {known}; import the "
            f"names from `{ALIAS}` itself, or install truss",
            name=fullname,
        )


def _baseten_only_spec(fullname: str, submodule: str) -> importlib.machinery.ModuleSpec | None:
    """The spec of a Baseten-only submodule; a module below one raises ``BasetenOnlyError``,
    except ``remote_chainlet.stub``, where truss defines ``StubBase``."""
    from chains_runtime.baseten_only import (
        BASETEN_ONLY_MODULES,
        STUB_MODULE,
        BasetenOnlyError,
    )

    if submodule == STUB_MODULE:
        return importlib.util.spec_from_loader(fullname, _AliasLoader(), is_package=False)
    if submodule in BASETEN_ONLY_MODULES:
        return importlib.util.spec_from_loader(fullname, _BasetenOnlyLoader(), is_package=True)
    top = submodule.partition(".")[0]
    if top in BASETEN_ONLY_MODULES:
        raise BasetenOnlyError(top)
    return None


def is_alias(module: object) -> bool:
    """Whether ``module`` is a ``truss_chains`` alias made by this finder."""
    return isinstance(module, ModuleType) and getattr(module, _ALIAS_FLAG, False) is True


def resolves_to_alias() -> bool:
    """Whether ``import truss_chains`` gives (or gave) the alias rather than real truss."""
    module = sys.modules.get(ALIAS)
    if module is not None:
        return is_alias(module)
    spec = importlib.util.find_spec(ALIAS)
    return spec is not None and isinstance(spec.loader, _AliasLoader)


def is_installed() -> bool:
    return any(isinstance(finder, TrussChainsAlias) for finder in sys.meta_path)


def install() -> None:
    """Register the alias finder (once); it never shadows a real truss_chains."""
    truss_config_alias.install()  # `from truss.base import truss_config` (ModelRepo...)
    if not is_installed():
        sys.meta_path.append(TrussChainsAlias())


def uninstall() -> None:
    """Remove the finder and forget alias modules already imported."""
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, TrussChainsAlias)]
    truss_config_alias.uninstall()
    for name in [n for n in sys.modules if n == ALIAS or n.startswith(ALIAS + ".")]:
        if is_alias(sys.modules[name]):
            del sys.modules[name]
