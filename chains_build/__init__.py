"""chains-build: Docker build contexts, servers and deployment files from a chain model.

``chains-build PATH -o OUT`` (``chains_build.cli``) lints the chain, plans it
(``chains_build.planner``: one :class:`~chains_build.plan.ChainPlan`), and renders from the
plan a build context per chainlet (``contexts``, ``dockerfile``, ``server_module``),
``docker-compose.yaml`` (``compose``), Kubernetes manifests (``k8s``) and ``chain.json``.
"""
