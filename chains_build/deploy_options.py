"""How a built chain is deployed: chain-wide deployment options and per-chainlet settings.

``DeployOptions`` holds what ``chains-build`` flags choose for docker-compose and Kubernetes
(replicas and autoscaling, exposure, GPU placement, the weights cache volume); ``Health`` and
``Weights`` are per-chainlet settings read from the chain (``ChainletOptions(health_checks=...)``,
``Assets(cached=...)``, ``Assets(weights=...)``). All are plain frozen data, part of the plan,
so the output stays byte-identical for the same input.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chains_runtime.weights_rules import MODEL_CACHE_DIR

GPU_PRODUCT_LABEL = "nvidia.com/gpu.product"
"""As ``instance_types.GPU_PRODUCT_LABEL`` (not imported: the plan imports this module)."""
DRAIN_SECONDS = 30
"""How long the runtime lets in-flight requests finish after SIGTERM
(``chains_runtime.serve.DEFAULT_GRACEFUL_TIMEOUT_SEC``); ``/readyz`` answers 503 meanwhile."""
PRE_STOP_SECONDS = 10
"""The pause before SIGTERM (Kubernetes ``preStop``), so Services, Ingress controllers and
load balancers stop sending new requests to a pod that is going away."""
STOP_GRACE_SECONDS = PRE_STOP_SECONDS + DRAIN_SECONDS + 20
"""Kubernetes ``terminationGracePeriodSeconds`` and Compose ``stop_grace_period``: above the
pause plus the drain, with room for the dependency clients to close."""

DEFAULT_STARTUP_SECONDS = 900
"""The startup window when the chain does not set ``HealthChecks(startup_threshold_seconds=)``."""

WEIGHTS_DIR = MODEL_CACHE_DIR
"""Where declared weights are kept (truss's ``MODEL_CACHE_PATH``): ``ModelRepo(use_volume=True,
volume_folder=F)`` is downloaded to ``/app/model_cache/F``."""
HF_HUB_CACHE_DIR = WEIGHTS_DIR / "huggingface" / "hub"
"""The Hugging Face hub cache in the volume for ``ModelRepo(use_volume=False)`` repos: given to
the download as ``cache_dir`` only (not ``HF_HUB_CACHE``, which stays the image's
``$HF_HOME/hub`` where build commands' downloads are), so the chainlet loads them with
``from_pretrained(repo_id, cache_dir=...)``."""

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class DeployOptions:
    """What the ``chains-build`` flags choose about deployment (docs/deploy.md)."""

    publish_address: str = LOOPBACK
    """``--publish ADDR``: the host address Compose publishes the entrypoint on. Any other
    address than loopback makes Compose require ``CHAINS_API_KEY``."""
    replicas: int = 1
    """``--replicas N``: Deployment replicas (the autoscaler's minimum)."""
    max_replicas: int | None = None
    """``--max-replicas M``: above ``replicas``, an autoscaler scales between the two."""
    autoscaler: str = "hpa"
    """``--autoscaler hpa|keda``: a HorizontalPodAutoscaler on CPU utilisation, or a KEDA
    ScaledObject on the runtime's in-flight requests (Prometheus)."""
    target_cpu_percent: int = 70
    """``--target-cpu``: the HPA's average CPU utilisation target (percent of the request)."""
    prometheus_url: str = "http://prometheus-server.monitoring.svc:80"
    """``--prometheus-url``: where KEDA queries ``chains_requests_in_flight``."""
    ingress_host: str | None = None
    """``--ingress-host HOST``: write an Ingress for the entrypoint."""
    ingress_tls_secret: str | None = None
    """``--ingress-tls-secret NAME``: the TLS Secret of the Ingress."""
    ingress_class: str | None = None
    """``--ingress-class NAME``: ``ingressClassName`` (default: the cluster's default class)."""
    gpu_node_label: str | None = None
    """``--gpu-node-label KEY``: the node label GPU pods require. None (the default): no node
    affinity, the ``nvidia.com/gpu`` limit alone puts the pod on a node with such a GPU
    (which GPU model is the node pool's choice: GKE's ``cloud.google.com/gke-accelerator`` and
    plain EKS carry no ``nvidia.com/gpu.product`` label). ``nvidia.com/gpu.product`` (GPU
    feature discovery) takes the product names of the GPU table; any other key takes the
    GPU's name as written in ``Compute`` (``kubectl label node N KEY=H100``)."""
    namespace: str | None = None
    """``--namespace NAME``: the namespace ``k8s/`` is applied to; KEDA's Prometheus query
    filters on it (required with ``--autoscaler keda``)."""
    weights_volume: str = "pvc"
    """``--weights-volume pvc|emptydir``: where declared weights are kept in Kubernetes."""
    weights_size: str = "100Gi"
    """``--weights-size``: the PVC's request, or the emptyDir's size limit."""
    storage_class: str | None = None
    """``--storage-class NAME``: the weights PVC's storage class (default: the cluster's)."""
    ephemeral_storage: str = "2Gi"
    """``--ephemeral-storage``: every chainlet's request for its writable layer, logs and /tmp
    (an emptyDir weights cache is added to it)."""
    shm_size: str | None = None
    """``--shm-size``: ``/dev/shm`` of GPU chainlets; None: a quarter of the memory request,
    between 1Gi and 16Gi."""

    @property
    def autoscaled(self) -> bool:
        return self.max_replicas is not None and self.max_replicas > self.replicas


@dataclass(frozen=True)
class Health:
    """``ChainletOptions(health_checks=HealthChecks(...))``, in seconds (truss's fields)."""

    startup_seconds: int = DEFAULT_STARTUP_SECONDS
    """``startup_threshold_seconds``: how long ``__init__`` (and the weights download) may take."""
    stop_traffic_seconds: int | None = None
    """``stop_traffic_threshold_seconds``: failing ``/readyz`` this long takes the pod out."""
    restart_seconds: int | None = None
    """``restart_threshold_seconds``: failing ``/healthz`` this long restarts the container."""
    source: str = "default"
    """Where the numbers come from, for ``--explain`` and ``chain.json``."""


@dataclass(frozen=True)
class Weight:
    """One declared weights source and where it is kept."""

    kind: str
    """``"hf"`` (a Hugging Face repo) or ``"https"`` (one file)."""
    source: str
    """The repo id (``"org/name"``) or the URL."""
    revision: str
    """The Hugging Face revision (``""``: the default branch); ``""`` for URLs."""
    target: str
    """Absolute folder the files go to (in the weights volume)."""
    allow_patterns: tuple[str, ...] = ()
    ignore_patterns: tuple[str, ...] = ()
    hub_cache: bool = False
    """True: downloaded into the hub cache at ``target`` (``ModelRepo(use_volume=False)``)."""
    secret: str | None = None
    """The declared secret key holding the access token (``hf_access_token``), if declared."""
    link: str | None = None
    """``WeightsSource(mount_location=...)`` outside ``WEIGHTS_DIR``: a symlink in the image
    pointing at ``target`` (``/app/model_cache/mount-<n>``), so one volume holds everything."""


@dataclass(frozen=True)
class Weights:
    """What a chainlet downloads into its weights volume before ``__init__``."""

    items: tuple[Weight, ...] = field(default=())

    @property
    def links(self) -> tuple[tuple[str, str], ...]:
        """(link, target) of each ``mount_location`` outside the cache folder."""
        return tuple((item.link, item.target) for item in self.items if item.link is not None)
