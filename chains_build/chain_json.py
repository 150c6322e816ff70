"""``chain.json``: what was built, for people and for tools (``--images``, CI scripts).

It lists the chain and, per chainlet, its context folder, image, base image and why, the
dependencies with the URLs they are reached at, resources, secret *names* and the files in
the image. It holds no secret value, no absolute path of the building machine and no
timestamp, so it is byte-identical for the same input. ``generated_by`` marks an output
folder as chains-build's, which lets a later build replace it.
"""

from __future__ import annotations

import json
from pathlib import PurePosixPath

from chains_build.plan import APP_DIR, ChainletPlan, ChainPlan
from chains_build.python_env import python_description

GENERATOR = "chains-build"
FORMAT_VERSION = 1


def render_chain_json(plan: ChainPlan) -> str:
    document = {
        "generated_by": GENERATOR,
        "format": FORMAT_VERSION,
        "chain": plan.name,
        "slug": plan.slug,
        "source": plan.source,
        "python_version": plan.python_version,
        "entrypoint": plan.entrypoint.class_name,
        "host_port": plan.host_port,
        "chainlets": [_chainlet(plan, chainlet) for chainlet in plan.chainlets],
    }
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def _chainlet(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, object]:
    resources = chainlet.resources
    return {
        "class_name": chainlet.class_name,
        "display_name": chainlet.display_name,
        "slug": chainlet.slug,
        "module": chainlet.module,
        "context": chainlet.display_name,
        "image": chainlet.image,
        "base_image": {
            "image": chainlet.base_image.image,
            "cuda": chainlet.base_image.cuda,
            "package_index": chainlet.base_image.package_index,
            "reasons": list(chainlet.base_image.reasons),
        },
        "python": python_description(plan, chainlet),
        "locked": chainlet.locked,
        "is_entrypoint": chainlet.is_entrypoint,
        "is_streaming": chainlet.is_streaming,
        "is_websocket": chainlet.is_websocket,
        "endpoint": chainlet.endpoint,
        "port": chainlet.port,
        "url": plan.dependency_url(chainlet.class_name),
        "dependencies": [
            {"chainlet": name, "url": plan.dependency_url(name)} for name in chainlet.dependencies
        ],
        "resources": {
            "cpu": resources.cpu,
            "memory": resources.memory,
            "gpu": resources.gpu,
            "gpu_count": resources.gpu_count,
            "source": resources.source,
        },
        "predict_concurrency": chainlet.predict_concurrency,
        "secrets": list(chainlet.secret_keys),
        "env_variables": [name for name, _ in chainlet.env_variables],
        "data_dir": str(APP_DIR / chainlet.data_dir) if chainlet.data_dir else None,
        "package_dirs": [str(APP_DIR / folder) for folder in chainlet.package_dirs],
        "files": [str(PurePosixPath(APP_DIR, path)) for path in chainlet.source_files],
    }


def is_chain_json(text: str) -> bool:
    """Whether ``text`` is a chain.json written by chains-build."""
    try:
        document = json.loads(text)
    except ValueError:
        return False
    return isinstance(document, dict) and document.get("generated_by") == GENERATOR
