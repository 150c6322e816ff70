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
