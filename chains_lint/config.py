"""Configuration from ``[tool.chains-lint]`` in ``pyproject.toml`` and the command line."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from chains_lint.rules.base import PROFILES, Profile

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]

CONFIG_SECTION = "chains-lint"
_KNOWN_KEYS = frozenset({"select", "ignore", "extend-select", "profile", "src", "exclude"})


class ConfigError(Exception):
    """A configuration problem, reported as a one-line message and exit code 2."""


@dataclass(frozen=True)
class Config:
    select: tuple[str, ...] = ()  # empty: every rule
    ignore: tuple[str, ...] = ()
    profile: Profile = "default"
    source_roots: tuple[Path, ...] = ()
    exclude: tuple[str, ...] = ()
    config_file: Path | None = None
    extend_select: tuple[str, ...] = field(default=())

    def is_selected(self, code: str) -> bool:
        """ruff-style selection: the longest matching prefix decides."""
        selected = _longest_match(code, self.select + self.extend_select) if self.select else 0
        if self.select and selected == 0:
            return False
        ignored = _longest_match(code, self.ignore)
        if ignored == 0:
            return True
        return selected > ignored

    def with_overrides(
        self,
        select: list[str] | None,
        ignore: list[str] | None,
        profile: str | None,
        source_roots: list[Path] | None,
    ) -> Config:
        updated = self
        if select:
            updated = replace(updated, select=_codes(select, "--select"), extend_select=())
        if ignore:
            updated = replace(updated, ignore=updated.ignore + _codes(ignore, "--ignore"))
        if profile is not None:
            updated = replace(updated, profile=_profile(profile, "--profile"))
        if source_roots:
            updated = replace(updated, source_roots=updated.source_roots + tuple(source_roots))
        return updated


def _longest_match(code: str, prefixes: tuple[str, ...]) -> int:
    best = 1 if "ALL" in prefixes else 0
    for prefix in prefixes:
        if code.startswith(prefix) and len(prefix) > best:
            best = len(prefix)
    return best


def _codes(values: list[str] | Any, where: str) -> tuple[str, ...]:
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise ConfigError(f'{where} must be a list of rule codes or prefixes, like ["CH1"]')
    codes: list[str] = []
    for value in cast(list[str], values):
        for part in value.split(","):
            part = part.strip().upper()
            if not part:
                continue
            if part != "ALL" and not (part.startswith("CH") and part[2:].isdigit()):
                raise ConfigError(
                    f"{where}: {part!r} is not a rule code or prefix (codes look like CH101)"
                )
            codes.append(part)
    return tuple(codes)


def _profile(value: object, where: str) -> Profile:
    if value not in PROFILES:
        raise ConfigError(f"{where}: unknown profile {value!r}; use one of {', '.join(PROFILES)}")
    return value


def find_pyproject(start: Path) -> Path | None:
    """The nearest ``pyproject.toml`` at or above ``start`` that has our section."""
    folder = start.resolve()
    if folder.is_file():
        folder = folder.parent
    for candidate in (folder, *folder.parents):
        pyproject = candidate / "pyproject.toml"
        if pyproject.is_file():
            try:
                data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
                continue
            if CONFIG_SECTION in data.get("tool", {}):
                return pyproject
    return None


def load_config(pyproject: Path | None) -> Config:
    if pyproject is None:
        return Config()
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{pyproject}: cannot read: {exc.strerror}") from exc
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{pyproject}: invalid TOML: {exc}") from exc
    section = data.get("tool", {}).get(CONFIG_SECTION, {})
    if not isinstance(section, dict):
        raise ConfigError(f"{pyproject}: [tool.{CONFIG_SECTION}] must be a table")
    where = f"{pyproject} [tool.{CONFIG_SECTION}]"
    unknown = sorted(set(section) - _KNOWN_KEYS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown key {unknown[0]!r}; known keys: {', '.join(sorted(_KNOWN_KEYS))}"
        )
    base = pyproject.parent
    src = section.get("src", [])
    if not isinstance(src, list) or not all(isinstance(s, str) for s in src):
        raise ConfigError(f"{where}: src must be a list of folders")
    exclude = section.get("exclude", [])
    if not isinstance(exclude, list) or not all(isinstance(s, str) for s in exclude):
        raise ConfigError(f"{where}: exclude must be a list of glob patterns")
    return Config(
        select=_codes(section.get("select", []), f"{where} select"),
        ignore=_codes(section.get("ignore", []), f"{where} ignore"),
        extend_select=_codes(section.get("extend-select", []), f"{where} extend-select"),
        profile=_profile(section.get("profile", "default"), f"{where} profile"),
        source_roots=tuple(base / s for s in src),
        exclude=tuple(exclude),
        config_file=pyproject,
    )
