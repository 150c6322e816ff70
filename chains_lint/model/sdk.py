"""Names of the chain SDK modules and the symbols rules care about.

Chain files import either Baseten's ``truss_chains`` or this project's own
``chains_runtime``; both expose the same public names.
"""

from __future__ import annotations

SDK_MODULES: frozenset[str] = frozenset({"truss_chains", "chains_runtime"})

CHAINLET_BASE = "ChainletBase"
MODEL_BASE = "ModelBase"
MODEL_ENDPOINT = "predict"
"""A ``ModelBase``'s endpoint, in place of a chainlet's ``run_remote``."""
DEPENDS = "depends"
DEPENDS_CONTEXT = "depends_context"
MARK_ENTRYPOINT = "mark_entrypoint"
REMOTE_CONFIG = "RemoteConfig"
DOCKER_IMAGE = "DockerImage"
COMPUTE = "Compute"
ASSETS = "Assets"
MAKE_ABS_PATH_HERE = "make_abs_path_here"


def sdk_symbol(qualified: str | None) -> str | None:
    """Return the SDK symbol a qualified name refers to, or None.

    ``truss_chains.depends`` and ``truss_chains.public_api.depends`` both give
    ``"depends"``; the bare module name gives ``""``.
    """
    if qualified is None:
        return None
    head, _, rest = qualified.partition(".")
    if head not in SDK_MODULES:
        return None
    return rest.rsplit(".", 1)[-1] if rest else ""


def is_sdk_module_name(module: str) -> bool:
    return module.partition(".")[0] in SDK_MODULES
