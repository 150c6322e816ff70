"""Dependency URLs: a base URL joined with a path, and parsed into where to connect.

A URL is checked once, when a client is made, so a bad one fails with a one-line error naming
it rather than at the first call. Credentials in a URL are refused (they would end up in error
messages and logs); send them in a header instead.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass

from chains_runtime.errors import ChainsUsageError

_DEFAULT_PORTS = {"http": 80, "https": 443}
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")
_USERINFO = re.compile(r"//[^/?#]*@")
# Characters a request target may carry as they are (RFC 3986 unreserved, sub-delims, ":@/",
# and "%" so that existing escapes are kept); anything else (a space, non-ASCII) is escaped.
_SAFE_PATH = "/:@!$&'()*+,;=-._~%"
_SAFE_QUERY = _SAFE_PATH + "?"


def join_path(base_url: str, path: str) -> str:
    """``base_url`` with ``path`` added to the end of its path, before any query.

    ``http://host/prefix?v=1`` joined with ``/run_remote`` is
    ``http://host/prefix/run_remote?v=1``; a fragment is dropped (it is never sent).
    """
    _refuse_control_characters(base_url)
    try:
        parts = urllib.parse.urlsplit(base_url)
    except ValueError as exc:
        raise ChainsUsageError(f"invalid URL {_shown(base_url)!r}: {exc}") from None
    joined = parts._replace(path=parts.path.rstrip("/") + path, fragment="")
    return urllib.parse.urlunsplit(joined)


@dataclass(frozen=True)
class Endpoint:
    """Where a pool sends its requests, parsed once from a URL."""

    url: str
    scheme: str
    host: str
    """The host to connect to: a name (IDNA-encoded when it is not ASCII) or an IP address."""
    port: int
    target: str
    """The request target: the path and query, e.g. ``/run_remote``, escaped for the wire."""

    @classmethod
    def parse(cls, url: str) -> Endpoint:
        shown = _shown(url)
        _refuse_control_characters(url)
        try:
            parts = urllib.parse.urlsplit(url)
            port = parts.port
        except ValueError as exc:
            raise ChainsUsageError(f"invalid URL {shown!r}: {exc}") from None
        if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise ChainsUsageError(
                f"invalid URL {shown!r}: expected http://HOST[:PORT]/PATH or https://..."
            )
        if parts.username is not None or parts.password is not None:
            raise ChainsUsageError(
                f"invalid URL {shown!r}: credentials in a URL are not supported (they would "
                "show in errors and logs); send them in a header, e.g. authorization"
            )
        if port == 0:
            raise ChainsUsageError(f"invalid URL {shown!r}: port 0 cannot be connected to")
        target = urllib.parse.quote(parts.path or "/", safe=_SAFE_PATH)
        if parts.query:
            target += "?" + urllib.parse.quote(parts.query, safe=_SAFE_QUERY)
        return cls(
            url=url,
            scheme=parts.scheme,
            host=_ascii_host(parts.hostname, shown),
            port=port if port is not None else _DEFAULT_PORTS[parts.scheme],
            target=target,
        )

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == _DEFAULT_PORTS[self.scheme]:
            return host
        return f"{host}:{self.port}"


def _refuse_control_characters(url: str) -> None:
    # urlsplit would silently drop a CR, LF or tab: the request would go somewhere else.
    bad = _CONTROL_CHARACTER.search(url)
    if bad is not None:
        raise ChainsUsageError(
            f"invalid URL {_shown(url)!r}: it contains the control character {bad.group()!r}"
        )


def _ascii_host(hostname: str, shown: str) -> str:
    if hostname.isascii():
        return hostname
    try:
        return hostname.encode("idna").decode("ascii")
    except UnicodeError as exc:
        raise ChainsUsageError(f"invalid URL {shown!r}: bad host name: {exc}") from None


def _shown(url: str) -> str:
    """``url`` as it may be printed: a user name and password in it are hidden."""
    return _USERINFO.sub("//***@", url, count=1)
