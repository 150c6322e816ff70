"""The ``chains-build`` flags that choose how the chain is deployed (``DeployOptions``)."""

from __future__ import annotations

import argparse
import ipaddress
import re

from chains_runtime.contract import API_KEY_ENV

from chains_build.deploy_options import DeployOptions
from chains_lint.errors import UsageError
from chains_lint.model.memory_quantity import parse_memory

_DNS_NAME = re.compile(r"(\*\.)?[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_LABEL_KEY = re.compile(
    r"([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?"
    r"[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?"
)
_NAMESPACE = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")
_OBJECT_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def add_deploy_flags(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("deployment (docker-compose.yaml and k8s/)")
    group.add_argument(
        "--publish",
        metavar="ADDR",
        default="127.0.0.1",
        help="host address Compose publishes the entrypoint on (default 127.0.0.1; any other "
        f"address makes Compose require {API_KEY_ENV})",
    )
    group.add_argument("--replicas", type=int, default=1, metavar="N", help="replicas (default 1)")
    group.add_argument(
        "--max-replicas", type=int, metavar="M", help="autoscale each chainlet up to M replicas"
    )
    group.add_argument(
        "--autoscaler",
        choices=("hpa", "keda"),
        default="hpa",
        help="hpa: HorizontalPodAutoscaler on CPU; keda: KEDA ScaledObject on in-flight requests",
    )
    group.add_argument(
        "--target-cpu", type=int, default=70, metavar="PERCENT", help="HPA CPU target (70)"
    )
    group.add_argument(
        "--prometheus-url",
        metavar="URL",
        default=DeployOptions.prometheus_url,
        help="Prometheus that KEDA queries",
    )
    group.add_argument("--ingress-host", metavar="HOST", help="write an Ingress for the entrypoint")
    group.add_argument("--ingress-tls-secret", metavar="SECRET", help="the Ingress's TLS Secret")
    group.add_argument("--ingress-class", metavar="CLASS", help="the Ingress's ingressClassName")
    group.add_argument(
        "--gpu-node-label",
        metavar="KEY",
        default="none",
        help="node label GPU pods require (default none: the nvidia.com/gpu limit alone "
        "schedules them; nvidia.com/gpu.product, set by GPU feature discovery, takes the "
        "product names; another KEY takes the GPU name, e.g. KEY=H100)",
    )
    group.add_argument(
        "--namespace",
        metavar="NAME",
        help="the namespace k8s/ is applied to (needed by --autoscaler keda's query)",
    )
    group.add_argument(
        "--weights-volume",
        choices=("pvc", "emptydir"),
        default="pvc",
        help="where declared weights are kept in Kubernetes (default pvc)",
    )
    group.add_argument(
        "--weights-size",
        metavar="SIZE",
        default="100Gi",
        help="size of the weights PVC or emptyDir (default 100Gi)",
    )
    group.add_argument("--storage-class", metavar="NAME", help="the weights PVC's storage class")
    group.add_argument(
        "--ephemeral-storage", metavar="SIZE", default="2Gi", help="request per chainlet (2Gi)"
    )
    group.add_argument(
        "--shm-size", metavar="SIZE", help="/dev/shm of GPU chainlets (default: memory/4, 1-16Gi)"
    )


def deploy_options(args: argparse.Namespace) -> DeployOptions:
    """The flags as ``DeployOptions``; a UsageError naming the flag when one is not valid."""
    if args.replicas < 1:
        raise UsageError(f"--replicas {args.replicas}: give 1 or more")
    if args.max_replicas is not None and args.max_replicas < args.replicas:
        raise UsageError(
            f"--max-replicas {args.max_replicas} is below --replicas {args.replicas}: raise it"
        )
    if not 1 <= args.target_cpu <= 1000:
        raise UsageError(f"--target-cpu {args.target_cpu}: give a percentage from 1 to 1000")
    try:
        ipaddress.ip_address(args.publish)
    except ValueError:
        raise UsageError(
            f"--publish {args.publish!r}: give an IP address, e.g. 127.0.0.1 or 0.0.0.0"
        ) from None
    if args.ingress_host is not None and not _DNS_NAME.fullmatch(args.ingress_host):
        raise UsageError(f"--ingress-host {args.ingress_host!r}: give a DNS name (lower case)")
    for flag, value in (
        ("--ingress-tls-secret", args.ingress_tls_secret),
        ("--ingress-class", args.ingress_class),
        ("--storage-class", args.storage_class),
    ):
        if value is not None and not _OBJECT_NAME.fullmatch(value):
            raise UsageError(f"{flag} {value!r}: give a Kubernetes object name (lower case)")
    if not args.prometheus_url.startswith(("http://", "https://")):
        raise UsageError(
            f"--prometheus-url {args.prometheus_url!r}: give an http:// or https:// URL"
        )
    if args.ingress_tls_secret is not None and args.ingress_host is None:
        raise UsageError("--ingress-tls-secret needs --ingress-host")
    if args.namespace is not None and not _NAMESPACE.fullmatch(args.namespace):
        raise UsageError(
            f"--namespace {args.namespace!r}: give a namespace name (lower case, digits and -, "
            "at most 63)"
        )
    autoscaled = args.max_replicas is not None and args.max_replicas > args.replicas
    if autoscaled and args.autoscaler == "keda" and args.namespace is None:
        raise UsageError(
            "--autoscaler keda needs --namespace NAME, the namespace you apply k8s/ to: "
            "KEDA's Prometheus query counts only that namespace's pods"
        )
    label = None if args.gpu_node_label == "none" else args.gpu_node_label
    if label is not None and not _LABEL_KEY.fullmatch(label):
        raise UsageError(f"--gpu-node-label {label!r}: give a label key such as example.com/gpu")
    for flag, size in (
        ("--weights-size", args.weights_size),
        ("--ephemeral-storage", args.ephemeral_storage),
        ("--shm-size", args.shm_size),
    ):
        if size is not None and (parse_memory(size) or 0) <= 0:
            raise UsageError(f"{flag} {size!r}: give a size such as 16Gi")
    return DeployOptions(
        publish_address=args.publish,
        replicas=args.replicas,
        max_replicas=args.max_replicas,
        autoscaler=args.autoscaler,
        target_cpu_percent=args.target_cpu,
        prometheus_url=args.prometheus_url,
        ingress_host=args.ingress_host,
        ingress_tls_secret=args.ingress_tls_secret,
        ingress_class=args.ingress_class,
        gpu_node_label=label,
        namespace=args.namespace,
        weights_volume=args.weights_volume,
        weights_size=args.weights_size,
        storage_class=args.storage_class,
        ephemeral_storage=args.ephemeral_storage,
        shm_size=args.shm_size,
    )
