"""chains-lint: a static checker for Chains (multi-step inference pipelines)."""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
