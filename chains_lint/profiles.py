"""The lint profiles (a module of its own so that reading the config imports no rules)."""

from __future__ import annotations

from typing import Literal

Profile = Literal["default", "truss"]
PROFILES: tuple[Profile, ...] = ("default", "truss")
