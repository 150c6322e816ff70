"""Names and labels the Kubernetes objects of a chain share.

Every chainlet's Deployment, Service and ConfigMap are named after its slug (so the Service's
DNS name is the host in ``ChainPlan.dependency_url``); the Secrets the user creates are named
after the chain, so one namespace holds one chain.
"""

from __future__ import annotations

from chains_build.plan import ChainletPlan, ChainPlan

NAME_LABEL = "app.kubernetes.io/name"
PART_OF_LABEL = "app.kubernetes.io/part-of"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"

SERVICE_TOKEN_KEY = "token"
"""The key holding the service token in the ``<chain>-service-token`` Secret."""
API_KEY_KEY = "api-key"
"""The key holding the entrypoint's API key in the optional ``<chain>-api-key`` Secret."""

CONFIG_FILE_NAME = "config.json"


def selector(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, str]:
    """The labels that pick the pods of ``chainlet`` (never change once deployed)."""
    return {NAME_LABEL: chainlet.slug, PART_OF_LABEL: plan.slug}


def labels(plan: ChainPlan, chainlet: ChainletPlan) -> dict[str, str]:
    """``selector`` plus what a person filters by."""
    component = "entrypoint" if chainlet.is_entrypoint else "chainlet"
    return {
        **selector(plan, chainlet),
        COMPONENT_LABEL: component,
        MANAGED_BY_LABEL: "chains-build",
    }


def config_map_name(chainlet: ChainletPlan) -> str:
    return f"{chainlet.slug}-wiring"


def secrets_name(plan: ChainPlan) -> str:
    """The Secret with one key per declared secret (``Assets(secret_keys=...)``)."""
    return f"{plan.slug}-secrets"


def service_token_name(plan: ChainPlan) -> str:
    return f"{plan.slug}-service-token"


def api_key_name(plan: ChainPlan) -> str:
    return f"{plan.slug}-api-key"
