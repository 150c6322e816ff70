"""Rules: placeholder, filled in with this group's checks."""

from __future__ import annotations

from chains_lint.rules.base import Rule

RULES: tuple[type[Rule], ...] = ()
