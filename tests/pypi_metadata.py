"""Read a wheel's METADATA from PyPI without downloading the wheel (torch's are ~900 MB).

PEP 658 serves it beside the wheel (``<url>.metadata``) when the index says so
(``core-metadata``); otherwise the wheel's zip directory and its METADATA member are read with
HTTP range requests, as pip's "lazy wheel" does.
"""

from __future__ import annotations

import io
import json
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from typing import Any

SIMPLE_INDEX = "https://pypi.org/simple/{name}/"
TIMEOUT_SEC = 60.0


class PyPIUnreachable(Exception):
    """PyPI did not answer; the message says what failed."""


@dataclass(frozen=True)
class WheelFile:
    filename: str
    url: str
    size: int
    has_metadata_file: bool


def _open(request: urllib.request.Request | str) -> Any:
    try:
        return urllib.request.urlopen(request, timeout=TIMEOUT_SEC)
    except (urllib.error.URLError, OSError) as exc:
        url = request.full_url if isinstance(request, urllib.request.Request) else request
        raise PyPIUnreachable(f"{url}: {exc}") from exc


def wheel_files(name: str) -> list[WheelFile]:
    """Every wheel of project ``name`` the simple index lists (PEP 691 JSON)."""
    request = urllib.request.Request(
        SIMPLE_INDEX.format(name=name),
        headers={"Accept": "application/vnd.pypi.simple.v1+json"},
    )
    with _open(request) as response:
        document = json.load(response)
    return [
        WheelFile(
            entry["filename"],
            entry["url"],
            int(entry["size"]),
            bool(entry.get("core-metadata") or entry.get("data-dist-info-metadata")),
        )
        for entry in document["files"]
        if entry["filename"].endswith(".whl") and not entry.get("yanked")
    ]


class _RangeReader(io.RawIOBase):
    """A read-only, seekable view of a remote file, read with HTTP range requests."""

    def __init__(self, url: str, size: int) -> None:
        self._url = url
        self._size = size
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        self._position = base + offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        count = min(len(buffer), self._size - self._position)
        if count <= 0:
            return 0
        end = self._position + count - 1
        request = urllib.request.Request(
            self._url, headers={"Range": f"bytes={self._position}-{end}"}
        )
        with _open(request) as response:
            data = response.read()
        buffer[: len(data)] = data
        self._position += len(data)
        return len(data)


def wheel_metadata(wheel: WheelFile) -> str:
    """The wheel's ``METADATA`` text."""
    if wheel.has_metadata_file:
        with _open(wheel.url.split("#")[0] + ".metadata") as response:
            return str(response.read().decode("utf-8"))
    reader = io.BufferedReader(_RangeReader(wheel.url.split("#")[0], wheel.size), 1 << 18)
    with zipfile.ZipFile(reader) as archive:
        member = next(n for n in archive.namelist() if n.endswith(".dist-info/METADATA"))
        return archive.read(member).decode("utf-8")


def requires_dist(metadata: str) -> list[str]:
    prefix = "Requires-Dist:"
    return [
        line[len(prefix) :].strip() for line in metadata.splitlines() if line.startswith(prefix)
    ]
