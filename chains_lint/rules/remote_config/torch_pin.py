"""CH723: a GPU chainlet that installs torch without pinning it (itself, or through a package
that requires torch, such as ``sentence-transformers`` or ``transformers[torch]``)."""

from __future__ import annotations

from collections.abc import Iterator

from chains_lint.diagnostics import Diagnostic, Severity
from chains_lint.model.remote_config.quantities import parse_instance_type
from chains_lint.model.torch_requirements import names_torch, pins_torch, torch_dependent
from chains_lint.model.types import Chainlet
from chains_lint.rules.base import Rule, RuleContext


class UnpinnedTorchOnGpu(Rule):
    code = "CH723"
    name = "unpinned-torch-on-gpu"
    severity = Severity.WARNING
    summary = "Finds GPU chainlets whose `pip_requirements` install torch without pinning it."
    # A package that requires torch (``TORCH_DEPENDENTS``: vllm, sentence-transformers,
    # transformers[torch], ...) installs it unpinned too, when torch is not listed.
    why = (
        "torch's Linux wheels bring their own CUDA, and each torch release brings another one: "
        "an unpinned torch installs whatever is newest on the day of the build, which may have "
        "no kernels for the GPU or need a newer driver than the nodes have. The same holds for "
        "a torch that a package such as `vllm`, `sentence-transformers` or `transformers[torch]` "
        "brings in. chains-build holds it to the build with the lowest CUDA that serves the "
        "GPU, but the choice is better made in the chain."
    )
    fix = (
        'Pin torch to a release, e.g. `"torch==2.9.1"`, or to a CUDA build of it, e.g. '
        '`"torch==2.7.1+cu128"`; `chains-build --explain` shows the CUDA each choice gets.'
    )
    bad = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements=["torch>=2.4"]),
        compute=chains.Compute(gpu="H100"),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""
    bad_span = (6, 58, 6, 72)
    good = """
import truss_chains as chains


class Model(chains.ChainletBase):
    remote_config = chains.RemoteConfig(
        docker_image=chains.DockerImage(pip_requirements=["torch==2.9.1"]),
        compute=chains.Compute(gpu="H100"),
    )

    async def run_remote(self, prompt: str) -> str:
        return prompt
"""

    def check(self, ctx: RuleContext) -> Iterator[Diagnostic]:
        for chainlet in ctx.chainlets:
            requirements = chainlet.remote_config.docker_image.pip_requirements
            gpu = _gpu(chainlet)
            if gpu is None or pins_torch(requirements):
                continue
            brought_by = None if names_torch(requirements) else torch_dependent(requirements)
            if not names_torch(requirements) and brought_by is None:
                continue
            config = chainlet.remote_config
            written = config.sources.get("docker_image.pip_requirements") or config.value
            span = written.span if written is not None else chainlet.cls.span
            if span.path != ctx.module.display_path:
                continue  # reported where the config is written
            if brought_by is not None:
                yield self.diagnostic(
                    span,
                    f"`{brought_by}` brings in torch, which is not pinned, on a chainlet with GPU "
                    f"{gpu}, so the CUDA build it installs is chosen for it; add a torch pin such "
                    "as `torch==2.9.1` (`chains-build --explain` shows the CUDA each one gets)",
                )
                continue
            shown = next(r for r in requirements if names_torch([r]))
            yield self.diagnostic(
                span,
                f"`{shown.strip()}` does not pin torch on a chainlet with GPU {gpu}, so the "
                "CUDA build it installs is chosen for it; pin a release such as `torch==2.9.1` "
                "(`chains-build --explain` shows the CUDA each one gets)",
            )


def _gpu(chainlet: Chainlet) -> str | None:
    compute = chainlet.remote_config.compute
    if compute.gpu:
        return compute.gpu
    if compute.instance_type:
        parsed = parse_instance_type(compute.instance_type)
        return parsed.gpu if parsed is not None else None
    return None
