"""Which ``Host`` headers a chainlet server answers: the guard against DNS rebinding.

A web page can make a browser send requests to ``127.0.0.1`` under a name the page controls
(DNS rebinding), and then read the answers as same-origin. A server bound to a loopback
address therefore answers only requests whose ``Host`` is a loopback name or address
(``localhost``, ``*.localhost``, ``127.0.0.0/8``, ``::1``), plus the names the deployer allows.
A server bound to another address (a container's ``0.0.0.0``) checks nothing unless names are
configured. Allowed names are exact host names (any port), ``.example.com`` for the domain and
its subdomains, or ``*`` for any host.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Final

LOOPBACK_NAMES: Final = ("localhost", "127.0.0.1", "::1")
_CACHE_LIMIT = 64


def is_loopback(address: str) -> bool:
    """Whether ``address`` (a host name or IP address) is a loopback one."""
    return _host_is_loopback(address.strip("[]").lower().rstrip("."))


def allowed_hosts_for(bound_host: str, configured: Iterable[str] | None) -> tuple[str, ...] | None:
    """The ``Host`` names a server bound to ``bound_host`` answers; None means any.

    ``configured``: the deployer's names (None: not configured). Loopback names are always
    added for a loopback-bound server; a server bound elsewhere with nothing configured checks
    nothing."""
    names = tuple(configured) if configured is not None else None
    if is_loopback(bound_host):
        return (*LOOPBACK_NAMES, *(names or ()))
    return names


class HostCheck:
    """Decides per request from the raw ``Host`` header value (a small cache of answers)."""

    __slots__ = ("_any", "_cache", "_exact", "_loopback", "_suffixes")

    def __init__(self, allowed: Iterable[str] | None) -> None:
        names = [name.strip().lower().rstrip(".") for name in allowed or ()]
        self._any = allowed is None or "*" in names
        self._exact = frozenset(name.strip("[]") for name in names if not name.startswith("."))
        self._suffixes = tuple(name for name in names if name.startswith("."))
        self._loopback = "localhost" in self._exact  # any loopback name or address
        self._cache: dict[bytes, bool] = {}

    @property
    def checks(self) -> bool:
        return not self._any

    def allows(self, raw_host: bytes | None) -> bool:
        """``raw_host``: the ``Host`` header as sent (None when absent: HTTP/1.0, allowed,
        since browsers always send it)."""
        if self._any or raw_host is None:
            return True
        answer = self._cache.get(raw_host)
        if answer is None:
            answer = self._decide(raw_host)
            if len(self._cache) < _CACHE_LIMIT:
                self._cache[raw_host] = answer
        return answer

    def _decide(self, raw_host: bytes) -> bool:
        try:
            text = raw_host.decode("ascii").strip().lower()
        except UnicodeDecodeError:
            return False
        host = _strip_port(text).rstrip(".")
        if not host:
            return False
        if host in self._exact or (self._loopback and _host_is_loopback(host)):
            return True
        return any(host.endswith(suffix) or host == suffix[1:] for suffix in self._suffixes)


def _strip_port(text: str) -> str:
    if text.startswith("["):  # [::1]:8080
        end = text.find("]")
        return text[1:end] if end > 0 else ""
    name, sep, port = text.rpartition(":")
    if sep and port.isdigit() and ":" not in name:
        return name
    return text


def _host_is_loopback(host: str) -> bool:
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
