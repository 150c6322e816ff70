"""The rules of declared weights, defined once for ``chains-build`` and ``chains-run``.

``Assets(cached=[ModelRepo(...)])`` and ``Assets(weights=[WeightsSource(...)])`` are checked by
``chains_build.weights_plan`` when it plans an image (from the chain file's literals) and by
``chains_runtime.run.local_weights`` when ``chains-run`` fetches them (from the objects);
``chains_runtime.weights`` reads ``file://`` and ``https://`` sources with the same parsing.
Each check raises ``WeightsRuleError``, whose message starts at the declaration
(``WeightsSource(source='s3://b')``) and says how to fix it; each caller puts the chainlet in
front and raises its own error type. What the two fetch differs, so a ``Fetcher`` says that.

Standard library only: the container's weights cache (``chains_runtime.weights``) imports it.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

MODEL_CACHE_DIR: Final = PurePosixPath("/app/model_cache")
"""Where truss puts ``ModelRepo(use_volume=True, volume_folder=X)``: ``/app/model_cache/X``."""
HF_TOKEN_KEY: Final = "hf_access_token"
"""truss's ``ModelRepo.runtime_secret_name`` default: the secret holding the Hugging Face
token, used when the chainlet declares it."""

HF_SCHEME: Final = "hf://"
HTTPS_SCHEME: Final = "https://"
FILE_SCHEME: Final = "file://"
_HF_KINDS: Final = frozenset({"hf", "HF", "ModelRepoSourceKind.HF"})
_FOLDER_CHARACTERS: Final = "._-"


class WeightsRuleError(ValueError):
    """A declared weights entry breaks a rule: ``subject`` is the declaration, ``reason`` what
    is wrong and how to fix it."""

    def __init__(self, subject: str | None, reason: str) -> None:
        super().__init__(f"{subject}: {reason}" if subject else reason)
        self.subject = subject
        self.reason = reason


@dataclass(frozen=True)
class Fetcher:
    """Who fetches declared weights, for the rules and messages that depend on it."""

    tool: str
    """As messages name it: ``chains-run``, ``chains-build``."""
    local_files: bool
    """Whether ``file://`` sources are reachable (on this machine, not in an image)."""
    elsewhere: str
    """Where to fetch the stores it cannot: ``in __init__``."""

    @property
    def cannot_fetch_source(self) -> str:
        """Why a ``WeightsSource`` of an unsupported store is refused, and what to do instead."""
        fetched = f"{self.tool} downloads Hugging Face repos (hf://) and https:// files"
        if self.local_files:
            fetched += ", and copies file:// files or folders"
        return f"{fetched}; fetch other stores {self.elsewhere}"

    @property
    def cannot_fetch_repo_kind(self) -> str:
        """Why a ``ModelRepo`` of another kind than Hugging Face is refused."""
        return (
            f"{self.tool} downloads Hugging Face repos only (kind='hf', the default); fetch "
            f"other stores {self.elsewhere}"
        )


@dataclass(frozen=True)
class Source:
    """A ``WeightsSource(source=...)`` parsed: what kind of store, and what to fetch there."""

    kind: str
    """``"hf"``, ``"https"`` or ``"file"``: the item kinds ``chains_runtime.weights`` fetches."""
    source: str
    """The repo id (``"org/name"``) for ``hf``, else the URL."""
    revision: str = ""


def check_model_repo_kind(kind: object, fetcher: Fetcher) -> None:
    """``ModelRepo(kind=...)``, as a value (``"s3"``) or as written (``ModelRepoSourceKind.S3``):
    only Hugging Face repos are fetched (None: the default, HF)."""
    if kind is not None and not (isinstance(kind, str) and kind in _HF_KINDS):
        shown = kind.rsplit(".", 1)[-1].lower() if isinstance(kind, str) else kind
        raise WeightsRuleError(f"ModelRepo(kind={shown!r})", fetcher.cannot_fetch_repo_kind)


def volume_target(repo_id: str, folder: str | None) -> PurePosixPath:
    """Where ``ModelRepo(use_volume=True, volume_folder=folder)`` goes: one plain folder name
    under ``MODEL_CACHE_DIR``."""
    if (
        not folder
        or folder in (".", "..")
        or not all(c.isalnum() or c in _FOLDER_CHARACTERS for c in folder)
    ):
        raise WeightsRuleError(
            None,
            f"ModelRepo(repo_id={repo_id!r}, use_volume=True) needs volume_folder=\"<name>\", "
            "one folder name (letters, digits, ., _, -)",
        )
    return MODEL_CACHE_DIR / folder


def check_mount_location(location: str) -> PurePosixPath:
    """``WeightsSource(mount_location=...)``: an absolute folder, not ``/``, without ``..``."""
    path = PurePosixPath(location)
    if not path.is_absolute() or ".." in path.parts or path == PurePosixPath("/"):
        raise WeightsRuleError(
            f"WeightsSource(mount_location={location!r})",
            "must be an absolute folder such as /models/llama",
        )
    return path


def parse_source(uri: str, fetcher: Fetcher) -> Source:
    """``WeightsSource(source=...)``: ``hf://org/repo[@revision]``, an ``https://`` file or,
    where ``fetcher`` reaches local files, a ``file://`` file or folder."""
    subject = f"WeightsSource(source={uri!r})"
    if uri.startswith(HF_SCHEME):
        repo, _, revision = uri.removeprefix(HF_SCHEME).partition("@")
        if repo.count("/") != 1 or not all(repo.split("/")):
            raise WeightsRuleError(
                subject, "write hf://<org>/<repo> or hf://<org>/<repo>@<revision>"
            )
        return Source("hf", repo, revision)
    if uri.startswith(HTTPS_SCHEME):
        url_file_name(uri)
        return Source("https", uri)
    if uri.startswith(FILE_SCHEME):
        if not fetcher.local_files:
            raise WeightsRuleError(
                subject,
                "file:// sources are for chains-run on this machine only; an image cannot reach "
                "them: put the files in the chainlet's data_dir, or publish them (hf://, https://)",
            )
        local_path(uri)
        return Source("file", uri)
    raise WeightsRuleError(subject, fetcher.cannot_fetch_source)


def url_file_name(url: str) -> str:
    """The name an ``https://`` source is saved under: the URL's last path segment."""
    name = PurePosixPath(urllib.parse.urlsplit(url).path).name
    if not name:
        raise WeightsRuleError(
            f"WeightsSource(source={url!r})",
            "the URL names no file; give the file's own URL, e.g. https://host/models/w.bin",
        )
    return name


def local_path(uri: str) -> Path:
    """The file or folder of a ``file://`` source, which must be ``file:///absolute/path``."""
    import urllib.request  # here, not at the top: with ssl it costs chains-build ~40 ms a start

    parts = urllib.parse.urlsplit(uri)
    if parts.netloc not in ("", "localhost") or not parts.path.startswith("/"):
        raise WeightsRuleError(
            f"WeightsSource(source={uri!r})",
            "write the absolute path after three slashes, file:///path/to/weights (what follows "
            "file:// up to the next / is a host name)",
        )
    return Path(urllib.request.url2pathname(parts.path))


def token_secret(kind: str, named: str | None, declared: Collection[str]) -> str | None:
    """The declared secret key holding an item's access token: the one ``named``, else
    ``hf_access_token`` for a Hugging Face repo; None when the chainlet does not declare it."""
    key = named or (HF_TOKEN_KEY if kind == "hf" else None)
    return key if key is not None and key in declared else None


def check_distinct_targets(targets: Iterable[str]) -> None:
    """One folder holds one source (hub-cache items share theirs and are not listed)."""
    seen: set[str] = set()
    for target in targets:
        if target in seen:
            raise WeightsRuleError(
                None,
                f"two weights sources go to {target}; give each its own volume_folder or "
                "mount_location",
            )
        seen.add(target)
