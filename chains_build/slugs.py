"""Names that work as a compose service, a Kubernetes object, a DNS host and an image name.

A slug is an RFC 1035 label, the strictest of those: lowercase letters, digits and ``-``,
starting with a letter, ending with a letter or digit, at most 63 characters. ``SayHello``
becomes ``say-hello``, ``LLM_Model`` becomes ``llm-model``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

MAX_LENGTH = 63

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NOT_ALLOWED = re.compile(r"[^a-z0-9]+")


def slug(name: str) -> str:
    """``name`` as a DNS label; CamelCase words are split with ``-``."""
    words = _WORD_BOUNDARY.sub("-", name).lower()
    text = _NOT_ALLOWED.sub("-", words).strip("-")
    if not text or not text[0].isalpha():
        text = f"c-{text}".rstrip("-")
    return text[:MAX_LENGTH].rstrip("-")


def unique_slugs(names: Iterable[str]) -> list[str]:
    """A slug per name, in order; a slug already taken gets ``-2``, ``-3``... appended."""
    taken: set[str] = set()
    result: list[str] = []
    for name in names:
        base = slug(name)
        candidate, number = base, 1
        while candidate in taken:
            number += 1
            suffix = f"-{number}"
            candidate = base[: MAX_LENGTH - len(suffix)].rstrip("-") + suffix
        taken.add(candidate)
        result.append(candidate)
    return result
