"""Enum members that ``remote_config`` values may be written as, read by name."""

from __future__ import annotations

from chains_lint.model.namespace import Namespace
from chains_lint.model.remote_config.constructors import BASETEN_IMAGE
from chains_lint.model.types import StaticValue

# Enums of truss.base.truss_config that appear inside config objects: member -> value.
TRUSS_ENUMS: dict[str, dict[str, str] | None] = {
    "DockerAuthType": None,  # values equal the member names
    "WeightsAuthMethod": None,
    "ModelRepoSourceKind": {"HF": "hf", "GCS": "gcs", "S3": "s3", "AZURE": "azure"},
    "TransportKind": {"HTTP": "http", "WEBSOCKET": "websocket", "GRPC": "grpc"},
}


def baseten_image_member(namespace: Namespace, value: StaticValue) -> str | None:
    """``"PY311"`` for ``BasetenImage.PY311`` under any import form, else None."""
    qualified = namespace.canonical(value.qualified_name)
    if qualified is None or value.call is not None:
        return None
    owner, _, member = qualified.rpartition(".")
    if namespace.sdk_symbol(owner) != BASETEN_IMAGE:
        return None
    return member


def accelerator_enum_member(namespace: Namespace, value: StaticValue) -> str | None:
    """``"H100"`` for ``truss_config.Accelerator.H100`` (truss accepts the enum for gpu)."""
    qualified = namespace.canonical(value.qualified_name)
    if qualified is None or not qualified.startswith("truss.") or value.call is not None:
        return None
    owner, _, member = qualified.rpartition(".")
    if owner.rpartition(".")[2] != "Accelerator":
        return None
    return member.lstrip("_")


def truss_enum_value(namespace: Namespace, value: StaticValue) -> str | None:
    """The value of a truss config enum member such as ``DockerAuthType.AWS_IAM``, or None."""
    qualified = namespace.canonical(value.qualified_name)
    if qualified is None or not qualified.startswith("truss"):
        return None
    parts = qualified.split(".")
    if len(parts) < 2 or parts[-2] not in TRUSS_ENUMS:
        return None
    members = TRUSS_ENUMS[parts[-2]]
    if members is None:
        return parts[-1]
    return members.get(parts[-1])
