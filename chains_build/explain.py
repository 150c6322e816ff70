"""``chains-build --explain``: per chainlet, the base image chosen and why, in plain text."""

from __future__ import annotations

from chains_build.plan import APP_DIR, ChainletPlan, Resources
from chains_build.planner import PlannedChain


def render_explain(planned: PlannedChain) -> str:
    plan = planned.plan
    lines = [f"Chain {plan.name} ({plan.source}), Python {plan.python_version}", ""]
    for chainlet in plan.chainlets:
        lines += _chainlet(chainlet)
        lines.append("")
    lines += [f"warning: {warning}" for warning in planned.warnings]
    return "\n".join(lines).rstrip("\n") + "\n"


def _chainlet(chainlet: ChainletPlan) -> list[str]:
    role = " (entrypoint)" if chainlet.is_entrypoint else ""
    title = chainlet.class_name
    if chainlet.display_name != chainlet.class_name:
        title += f" [{chainlet.display_name}]"
    lines = [
        f"{title}{role}",
        f"  base image: {chainlet.base_image.image}",
        *(f"    - {reason}" for reason in chainlet.base_image.reasons),
        f"  resources:  {_resources(chainlet.resources)}",
        f"  files:      {', '.join(chainlet.source_files)}",
    ]
    if chainlet.data_dir is not None:
        lines.append(f"  data:       {chainlet.data_dir} -> {APP_DIR / chainlet.data_dir}")
    if chainlet.dependencies:
        lines.append(f"  calls:      {', '.join(chainlet.dependencies)}")
    return lines


def _resources(resources: Resources) -> str:
    cpu = f"{resources.cpu} CPU"
    gpu = f"{resources.gpu_count}x {resources.gpu}" if resources.gpu else "no GPU"
    return f"{cpu}, {resources.memory} memory, {gpu} (from {resources.source})"
