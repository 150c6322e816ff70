"""How a requirement string names torch: shared by lint rule CH723 and chains-build's choice of
the torch build (``chains_build.base_images``)."""

from __future__ import annotations

import re
from collections.abc import Iterable

# torch==2.3.0, torch===2.3.1+cu121, torch==2.3.*, torch~=2.3.0, torch[extra] == 2.3.0 ; marker
TORCH_PIN = re.compile(
    r"""^\s*torch\s*(?:\[[^\]]*\])?\s*
    (?P<op>===|==|~=)\s*
    (?P<version>(?P<major>\d+)\.(?P<minor>\d+)(?P<patch>\.(?:\d+|\*))?(?:\.\d+)*)
    (?:\+(?P<local>[A-Za-z0-9.]+))?
    \s*(?:;.*)?$""",
    re.VERBOSE,
)
TORCH_NAME = re.compile(r"^\s*torch\s*(?:\[|[<>=!~;@(]|$)", re.IGNORECASE)


def names_torch(requirements: Iterable[str]) -> bool:
    """Whether any requirement installs torch itself (pinned or not)."""
    return any(TORCH_NAME.match(requirement) for requirement in requirements)


def pins_torch(requirements: Iterable[str]) -> bool:
    """Whether a requirement holds torch to one minor release (``torch>=2.3`` does not)."""
    for requirement in requirements:
        match = TORCH_PIN.match(requirement)
        if match is not None and not (match["op"] == "~=" and match["patch"] is None):
            return True
    return False


# Packages whose every current release requires torch (``Requires-Dist: torch...`` without a
# marker, checked on PyPI's JSON API for the newest release, December 2026), and packages whose
# named extra does (``transformers[torch]``). A chain that lists one of them installs torch
# without naming it; chains-build chooses that torch's CUDA build as it does for an unpinned
# torch, and lint rule CH723 warns about it. Not exhaustive: a package missing here brings
# PyPI's torch build, whose CUDA may not match the image; list torch to choose.
TORCH_DEPENDENTS: dict[str, frozenset[str] | None] = {
    "accelerate": None,
    "bitsandbytes": None,
    "diffusers": frozenset({"torch"}),
    "kornia": None,
    "lightning": None,
    "openai-whisper": None,
    "peft": None,
    "pytorch-lightning": None,
    "sentence-transformers": None,
    "timm": None,
    "torchaudio": None,
    "torchmetrics": None,
    "torchvision": None,
    "transformers": frozenset({"torch"}),
    "vllm": None,
    "xformers": None,
}
"""Package name -> None (it always requires torch) or the extras that bring torch."""

_REQUIREMENT_HEAD = re.compile(
    r"^\s*(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(?:\[(?P<extras>[^\]]*)\])?"
)


def torch_dependent(requirements: Iterable[str]) -> str | None:
    """The first requirement that brings torch without naming it (see :data:`TORCH_DEPENDENTS`)."""
    for requirement in requirements:
        match = _REQUIREMENT_HEAD.match(requirement)
        if match is None:
            continue
        name = re.sub(r"[-_.]+", "-", match["name"]).lower()
        if name not in TORCH_DEPENDENTS:
            continue
        extras_needed = TORCH_DEPENDENTS[name]
        extras = {e.strip().lower() for e in (match["extras"] or "").split(",") if e.strip()}
        if extras_needed is None or extras & extras_needed:
            return requirement.strip()
    return None
