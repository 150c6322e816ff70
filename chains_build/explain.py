"""``chains-build --explain``: per chainlet, the base image chosen and why, in plain text."""

from __future__ import annotations

from chains_build.lock import LOCK_FOLDER, lock_path
from chains_build.plan import APP_DIR, ChainletPlan, Resources
from chains_build.planner import PlannedChain
from chains_build.python_env import python_description


def render_explain(planned: PlannedChain) -> str:
    plan = planned.plan
    lines = [f"Chain {plan.name} ({plan.source}), Python {plan.python_version}", ""]
    for chainlet in plan.chainlets:
        lines += _chainlet(planned, chainlet)
        lines.append("")
    lines += [f"warning: {warning}" for warning in planned.warnings]
    return "\n".join(lines).rstrip("\n") + "\n"


def _python(planned: PlannedChain, chainlet: ChainletPlan) -> str:
    plan = planned.plan
    described = python_description(plan, chainlet)
    lock = lock_path(planned.project, plan, chainlet)
    pinned = (
        f"{LOCK_FOLDER}/{lock.name} (chains-build lock)"
        if lock.is_file()
        else "the runtime's constraints (no lock file)"
    )
    return f"{described['version']} ({described['source']}), packages pinned by {pinned}"


def _chainlet(planned: PlannedChain, chainlet: ChainletPlan) -> list[str]:
    role = " (entrypoint)" if chainlet.is_entrypoint else ""
    title = chainlet.class_name
    if chainlet.display_name != chainlet.class_name:
        title += f" [{chainlet.display_name}]"
    lines = [
        f"{title}{role}",
        f"  base image: {chainlet.base_image.image}",
        *(f"    - {reason}" for reason in chainlet.base_image.reasons),
        f"  python:     {_python(planned, chainlet)}",
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
