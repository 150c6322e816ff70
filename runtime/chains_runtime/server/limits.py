"""``ServerLimits``: the connection, time and size limits of a chainlet server's HTTP layer.

Each limit has a default, a flag of ``python -m chains_runtime.serve`` (and of ``chains-run``,
which passes it on to every chainlet it starts), an environment variable and a field of the
chainlet's ``ChainletOptions`` (same name as here); a flag wins over the variable, the variable
over the chain option, the option over the default. ``server.http_protocol`` enforces them.

The open-connection cap must fit the process's file-descriptor limit (``RLIMIT_NOFILE``), or
``accept()`` fails with ``EMFILE`` and nobody gets in, health probes included:
``fit_to_fd_limit`` raises the soft limit (up to the hard one) to the cap plus
``FD_RESERVE`` descriptors for everything else the process opens (dependency connections,
files, pipes), and lowers the cap when the hard limit is too low for that.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING, Any, Final

from chains_runtime.errors import ChainsUsageError

if TYPE_CHECKING:
    from chains_runtime.definitions import ChainletOptions

FD_RESERVE: Final = 256
"""File descriptors kept free beyond the connection cap (dependency connections, files...)."""


@dataclass(frozen=True)
class ServerLimits:
    """The limits of one chainlet server process (see the README's table).

    - ``max_connections``: open connections at most. At the cap a new connection first takes
      the place of the oldest idle one (kept alive with no request, or never used, or answered
      already while its request body was still coming), then of the oldest one still sending its
      request head, then of the one sending its request body the furthest behind the minimum
      body rate (``http_protocol.MIN_BODY_RATE``); if every connection has a request in the app
      with its whole body, it is closed at once without being served.
    - ``idle_timeout_sec``: a connection with no request in progress (kept alive after a
      response, or never used) is closed after this long.
    - ``head_timeout_sec``: a started request head (request line and headers) must be complete
      this long after its first bytes, else 408 and close.
    - ``body_timeout_sec``: the whole request body must arrive this long after its head, else
      408 and close. (Sooner, a body slower than ``http_protocol.MIN_BODY_RATE`` on average
      gets 408 too; that floor is not a setting.)
    - ``max_head_bytes``: a larger request head gets 431 and close; no more of it is kept.
    """

    max_connections: int = 1024
    idle_timeout_sec: float = 15.0
    head_timeout_sec: float = 10.0
    body_timeout_sec: float = 60.0
    max_head_bytes: int = 64 * 1024

    def __post_init__(self) -> None:
        for setting in SETTINGS:
            value = getattr(self, setting.field)
            if not (value >= setting.minimum and math.isfinite(value)):
                raise ChainsUsageError(
                    f"{setting.field} must be a number >= {setting.minimum:g}, got {value!r}"
                )


@dataclass(frozen=True)
class LimitSetting:
    """How one field of ``ServerLimits`` is set from outside."""

    field: str
    flag: str
    env: str
    parse: Callable[[str], float]
    minimum: float
    unit: str


_S: Final = " s"

SETTINGS: Final = (
    LimitSetting("max_connections", "--max-connections", "CHAINS_MAX_CONNECTIONS", int, 1, ""),
    LimitSetting("idle_timeout_sec", "--idle-timeout", "CHAINS_IDLE_TIMEOUT_SEC", float, 0.01, _S),
    LimitSetting("head_timeout_sec", "--head-timeout", "CHAINS_HEAD_TIMEOUT_SEC", float, 0.01, _S),
    LimitSetting("body_timeout_sec", "--body-timeout", "CHAINS_BODY_TIMEOUT_SEC", float, 0.01, _S),
    LimitSetting("max_head_bytes", "--max-head-bytes", "CHAINS_MAX_HEAD_BYTES", int, 256, " bytes"),
)
assert [s.field for s in SETTINGS] == [f.name for f in fields(ServerLimits)]

_HELP: Final = {
    "max_connections": "open connections at most; past it idle ones, then slow heads, then the "
    "slowest bodies make room, else new ones are closed at once",
    "idle_timeout_sec": "seconds a connection with no request in progress stays open",
    "head_timeout_sec": "seconds a request head may take to arrive (then 408)",
    "body_timeout_sec": "seconds a request body may take to arrive after its head (then 408)",
    "max_head_bytes": "largest request head (request line and headers) in bytes (then 431)",
}


def _parsed(setting: LimitSetting, text: str, source: str) -> float:
    try:
        value = setting.parse(text.strip())
    except ValueError:
        kind = "a whole number" if setting.parse is int else "a number"
        raise ChainsUsageError(f"{source} must be {kind}, got {text!r}") from None
    if not (value >= setting.minimum and math.isfinite(value)):
        raise ChainsUsageError(f"{source} must be >= {setting.minimum:g}, got {text!r}")
    return value


def add_limit_arguments(parser: argparse.ArgumentParser) -> None:
    """The flags of ``ServerLimits`` (each defaults to its environment variable, then to the
    built-in default; see ``limits_from``)."""
    group = parser.add_argument_group("server limits")
    defaults = ServerLimits()
    for setting in SETTINGS:
        default = getattr(defaults, setting.field)
        group.add_argument(
            setting.flag,
            dest=setting.field,
            metavar="N" if setting.parse is int else "SEC",
            default=None,
            help=f"{_HELP[setting.field]} (${setting.env}, default {default:g}{setting.unit})",
        )


def limits_from(
    args: argparse.Namespace,
    environ: Mapping[str, str],
    options: ChainletOptions | None = None,
) -> ServerLimits:
    """The limits given by ``add_limit_arguments``' flags, else the environment, else the
    chainlet's ``options`` (its ``remote_config.options``; pydantic checked them when the chain
    was imported), else the defaults. ``ChainsUsageError`` names the flag or variable of a bad
    value."""
    values: dict[str, Any] = {}
    for setting in SETTINGS:
        text = getattr(args, setting.field, None)
        if text is not None:
            values[setting.field] = _parsed(setting, text, setting.flag)
        elif environ.get(setting.env, "").strip():
            values[setting.field] = _parsed(setting, environ[setting.env], setting.env)
        elif options is not None and getattr(options, setting.field) is not None:
            values[setting.field] = getattr(options, setting.field)
    return replace(ServerLimits(), **values)


def given_limits(args: argparse.Namespace, environ: Mapping[str, str]) -> list[str]:
    """The names of the limits that ``add_limit_arguments``' flags or the environment set."""
    return [
        setting.field
        for setting in SETTINGS
        if getattr(args, setting.field, None) is not None or environ.get(setting.env, "").strip()
    ]


def limits_argv(args: argparse.Namespace, environ: Mapping[str, str]) -> list[str]:
    """The flags that give another process (a chainlet ``chains-run`` starts) the limits set
    by these flags or variables (checked), and only those: each chainlet's own
    ``ChainletOptions`` give the others, even a value equal to the default given here."""
    limits, given = limits_from(args, environ), given_limits(args, environ)
    argv: list[str] = []
    for setting in SETTINGS:
        if setting.field in given:
            argv += [setting.flag, repr(getattr(limits, setting.field))]
    return argv


def fit_to_fd_limit(limits: ServerLimits) -> tuple[ServerLimits, str | None]:
    """``limits`` with a connection cap this process has file descriptors for, raising the
    soft ``RLIMIT_NOFILE`` towards the hard one when needed; and a warning when the cap had to
    be lowered (None otherwise, and where ``resource`` does not exist)."""
    try:
        import resource
    except ImportError:  # not a Unix
        return limits, None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = limits.max_connections + FD_RESERVE
    if soft != resource.RLIM_INFINITY and soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return limits, None
    cap = max(1, soft - FD_RESERVE, soft // 2)
    warning = (
        f"the file descriptor limit ({soft}) is too low for {limits.max_connections} "
        f"connections and {FD_RESERVE} other descriptors: serving at most {cap} connections "
        f"(raise `ulimit -n` or lower --max-connections)"
    )
    return replace(limits, max_connections=cap), warning
