"""Where in an annotation the classifier is, as it descends into it."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

# How deep the classifier follows nested types, fields, aliases and bases.
MAX_DEPTH = 48


@dataclass(frozen=True)
class CheckContext:
    bytes_ok: bool  # bytes here travel as base64 (outside user models)
    websocket: bool  # a websocket marker is allowed here (a top-level parameter)
    in_model: bool  # inside the fields of a class
    depth: int

    def deeper(self) -> CheckContext:
        return dataclasses.replace(self, websocket=False, depth=self.depth + 1)
