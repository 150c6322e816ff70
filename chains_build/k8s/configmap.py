"""The ConfigMap holding a chainlet's wiring (``config.json``, read via CHAINS_CONFIG_FILE)."""

from __future__ import annotations

from chains_build import yaml_text
from chains_build.k8s.names import CONFIG_FILE_NAME, config_map_name, labels
from chains_build.plan import SECRETS_DIR, ChainletPlan, ChainPlan
from chains_build.runtime_contract import wiring_json


def config_map(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, yaml_text.Data]:
    config = wiring_json(plan, chainlet, secrets_dir=SECRETS_DIR, indent=2)
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": config_map_name(chainlet), "labels": labels(plan, chainlet)},
        "data": {CONFIG_FILE_NAME: config},
    }
