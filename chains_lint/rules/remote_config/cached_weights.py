"""CH725 and CH726: the entries of ``Assets(cached=[...])``, checked as truss checks them.

Each entry becomes a ``truss_config.ModelRepo`` (a call, or a dict pydantic validates into
one). What fails for every runtime (this one's ``ModelRepo`` model, chains-build's weights
plan and truss) is CH725; what only truss 0.18.36's ``ModelRepo`` rejects (``use_volume``
has no default there; a volume needs a pinned Hugging Face revision) is CH726.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from chains_lint.diagnostics import Diagnostic, Span
from chains_lint.model import sdk
from chains_lint.model.remote_config.calls import Located, resolve
from chains_lint.model.remote_config.enums import truss_enum_value
from chains_lint.model.types import NOT_LITERAL
from chains_lint.rules.base import PROFILES, Rule, RuleContext
from chains_lint.rules.remote_config.config_arguments import (
    arguments_named,
    list_items,
    located_span,
)

MODEL_REPO = "ModelRepo"
SOURCE_KINDS = ("hf", "gcs", "s3", "azure")  # truss_config.ModelRepoSourceKind values
_PATTERN_FIELDS = ("allow_patterns", "ignore_patterns")


@dataclass
class CachedEntry:
    """One entry of ``cached``: its fields as far as they are readable, and where they are."""

    span: Span
    constructor: str | None  # "ModelRepo", another callee's name; None for a dict display
    complete: bool  # every argument is a keyword (no ``**kwargs``): missing fields are missing
    values: dict[str, object] = field(default_factory=dict)  # NOT_LITERAL: not readable
    spans: dict[str, Span] = field(default_factory=dict)

    def literal(self, name: str) -> object:
        return self.values.get(name, NOT_LITERAL)

    def given(self, name: str) -> bool:
        return name in self.values

    def span_of(self, name: str) -> Span:
        return self.spans.get(name, self.span)


def cached_entries(ctx: RuleContext) -> Iterator[CachedEntry | tuple[Span, str]]:
    """Each ``cached`` entry: a :class:`CachedEntry`, or (span, what it is) when it is a value
    that cannot be a ``ModelRepo`` at all (a string, a ``WeightsSource``...)."""
    namespace = ctx.model.namespace
    for argument in arguments_named(ctx, sdk.ASSETS, "cached"):
        for _, element, item in list_items(namespace, argument.located):
            value = item.value
            span = located_span(element, item)
            if isinstance(value.literal, dict):
                entry = CachedEntry(span, None, complete=True)
                entry.values.update(value.literal)
                yield entry
            elif value.is_literal:
                yield span, f"the {type(value.literal).__name__} `{value.text}`"
            elif value.call is not None and value.call.callee is not None:
                name = value.call.callee.rpartition(".")[2]
                if name == MODEL_REPO:
                    yield _model_repo(ctx, item, span)
                elif name in ("WeightsSource", "ExternalDataItem", "HealthChecks"):
                    yield span, f"a `{name}`"


def _model_repo(ctx: RuleContext, item: Located, span: Span) -> CachedEntry:
    call = item.value.call
    assert call is not None
    entry = CachedEntry(span, MODEL_REPO, complete=not (call.args or call.has_star_args))
    for name, written in call.kwargs:
        located = resolve(ctx.model.namespace, item.module, written)
        literal: object = located.value.literal
        if not located.value.is_literal:
            member = truss_enum_value(ctx.model.namespace, located.value)
            literal = member if member is not None else NOT_LITERAL
        entry.values[name] = literal
        entry.spans[name] = located_span(written, located)
    return entry


class CachedModelRepoInvalid(Rule):
    code = "CH725"
    name = "cached-model-repo-invalid"
    profiles = frozenset(PROFILES)
    summary = (
        "Finds `Assets(cached=[...])` entries that are not a valid `ModelRepo`: another kind "
        "of value, no or an empty `repo_id`, an unknown `kind`, `use_volume=True` without a "
        "`volume_folder`, or patterns that are not a list."
    )
    why = """
Each `cached` entry is validated as a `truss_config.ModelRepo` when the chain
file is imported: a repository id, one of the source kinds `hf`, `gcs`, `s3`,
`azure`, a folder when the weights go to a volume, and pattern lists; truss
rejects an invalid entry when it imports the chain file. This runtime fails at
import on a bad `repo_id`, `kind` or pattern list; chains-build refuses a
volume without a folder, and a value that is not a `ModelRepo` (a plain string)
is left out, so those weights are never downloaded.
"""
    fix = (
        "Write each entry as `truss_config.ModelRepo(repo_id=\"org/name\", ...)`, with "
        "`volume_folder=` when `use_volume=True`; put `WeightsSource` entries in "
        "`Assets(weights=[...])`."
    )
    bad = """
import truss_chains as chains
from truss.base import truss_config


class Llm(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(
            cached=[
                truss_config.ModelRepo(
                    repo_id="mistralai/Mistral-7B-Instruct-v0.2",
                    revision="41b61a33a2483885c981aa79e0df6b32407ed873",
                    use_volume=True,
                )
            ]
        )
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (12, 32, 12, 36)
    good = """
import truss_chains as chains
from truss.base import truss_config


class Llm(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(
            cached=[
                truss_config.ModelRepo(
                    repo_id="mistralai/Mistral-7B-Instruct-v0.2",
                    revision="41b61a33a2483885c981aa79e0df6b32407ed873",
                    use_volume=True,
                    volume_folder="mistral",
                )
            ]
        )
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for entry in cached_entries(ctx):
            if isinstance(entry, tuple):
                span, what = entry
                yield self.diagnostic(
                    span,
                    f"`Assets(cached=...)` takes `truss_config.ModelRepo(...)` entries, not "
                    f"{what}; write `truss_config.ModelRepo(repo_id=..., use_volume=False)` "
                    "(weights to mount go in `Assets(weights=[...])`)",
                )
                continue
            yield from self._entry(entry)

    def _entry(self, entry: CachedEntry) -> Iterator[Diagnostic]:
        repo_id = entry.literal("repo_id")
        if not entry.given("repo_id"):
            if entry.complete:
                yield self.diagnostic(
                    entry.span,
                    "this `ModelRepo` has no `repo_id`; add `repo_id=\"org/name\"`",
                )
        elif repo_id == "":
            yield self.diagnostic(
                entry.span_of("repo_id"), "`repo_id` is empty; give the repository id"
            )
        kind = entry.literal("kind")
        if isinstance(kind, str) and kind not in SOURCE_KINDS:
            yield self.diagnostic(
                entry.span_of("kind"),
                f"`kind={kind!r}` is not a model source; use one of "
                f"{', '.join(repr(k) for k in SOURCE_KINDS)}",
            )
        folder = entry.literal("volume_folder")
        if entry.literal("use_volume") is True and (
            (not entry.given("volume_folder") and entry.complete) or folder in (None, "")
        ):
            yield self.diagnostic(
                entry.span_of("use_volume"),
                "`use_volume=True` needs a `volume_folder`, the folder under the model cache "
                "the weights go to; add `volume_folder=\"<name>\"`",
            )
        for name in _PATTERN_FIELDS:
            patterns = entry.literal(name)
            if patterns is NOT_LITERAL or patterns is None:
                continue
            if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
                yield self.diagnostic(
                    entry.span_of(name),
                    f"`{name}` must be a list of glob patterns such as `[\"*.json\"]`, got "
                    f"`{patterns!r}`",
                )


class TrussCachedModelRepo(Rule):
    code = "CH726"
    name = "truss-cached-model-repo"
    profiles = frozenset({"truss"})
    summary = (
        "Finds `ModelRepo` entries of `Assets(cached=[...])` that truss 0.18.36 rejects: "
        "without `use_volume`, with a one-character `revision`, or with `use_volume=True` on "
        "a Hugging Face repo without a `revision` (truss profile)."
    )
    why = """
truss's `ModelRepo` has no default for `use_volume`, accepts a `revision`
only when it is empty or at least two characters long, and requires a pinned
`revision` for a Hugging Face repo cached in a volume. The import of the chain
file fails otherwise (this runtime defaults `use_volume` to `False`).
"""
    fix = (
        "Write `use_volume=False` (downloaded when the server starts) or `use_volume=True` "
        "with `volume_folder=` and a commit `revision=`."
    )
    bad = """
import truss_chains as chains
from truss.base import truss_config


class Llm(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(cached=[truss_config.ModelRepo(repo_id="openai/whisper-tiny")])
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (7, 38, 7, 91)
    good = """
import truss_chains as chains
from truss.base import truss_config


class Llm(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        assets=chains.Assets(
            cached=[truss_config.ModelRepo(repo_id="openai/whisper-tiny", use_volume=False)]
        )
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for entry in cached_entries(ctx):
            if isinstance(entry, tuple):
                continue  # CH725
            use_volume = entry.literal("use_volume")
            if not entry.given("use_volume") and entry.complete:
                yield self.diagnostic(
                    entry.span,
                    "truss's `ModelRepo` requires `use_volume`; add `use_volume=False` "
                    "(downloaded at start-up) or `use_volume=True` with `volume_folder=`",
                )
            revision = entry.literal("revision")
            if isinstance(revision, str) and len(revision) == 1:
                yield self.diagnostic(
                    entry.span_of("revision"),
                    f"truss rejects `revision={revision!r}`: a revision is empty or at least "
                    "2 characters; give the commit sha or branch",
                )
            kind = entry.literal("kind")
            if (
                use_volume is True
                and (not entry.given("kind") or kind == "hf")
                and (revision == "" or (not entry.given("revision") and entry.complete))
            ):
                yield self.diagnostic(
                    entry.span_of("use_volume"),
                    "truss requires a `revision` for a Hugging Face repo with `use_volume=True`; "
                    "pin the commit: `revision=\"<commit sha>\"`",
                )


__all__ = ["CachedModelRepoInvalid", "TrussCachedModelRepo", "cached_entries"]
