"""What a deployment gives a chainlet process, and what it may ask of it.

The names here are shared by the runtime, which reads them, and ``chains-build``, which
writes docker-compose and Kubernetes manifests that set them; this module imports only
``pathlib``, so reading it costs a deployment tool nothing. The JSON object of
``CHAINS_CONFIG`` is the model ``chains_runtime.wiring.ChainletWiring``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

CONFIG_ENV: Final = "CHAINS_CONFIG"
"""The wiring config as JSON text."""
CONFIG_FILE_ENV: Final = "CHAINS_CONFIG_FILE"
"""The path of a JSON file holding the wiring config (e.g. a mounted ConfigMap)."""
SERVICE_TOKEN_ENV: Final = "CHAINS_SERVICE_TOKEN"
API_KEY_ENV: Final = "CHAINS_API_KEY"
ALLOWED_HOSTS_ENV: Final = "CHAINS_ALLOWED_HOSTS"
CORS_ORIGINS_ENV: Final = "CHAINS_CORS_ORIGINS"
EXPOSE_TRACEBACKS_ENV: Final = "CHAINS_EXPOSE_TRACEBACKS"
API_DOCS_ENV: Final = "CHAINS_API_DOCS"
SECRET_ENV_PREFIX: Final = "CHAINS_SECRET_"
"""``CHAINS_SECRET_<key>`` holds the secret ``<key>``; it wins over ``<secrets_dir>/<key>``."""

DEFAULT_SECRETS_DIR: Final = Path("/secrets")
"""Where secret files are read from when the wiring config names no ``secrets_dir``."""

LIVENESS_PATH: Final = "/healthz"
"""Answers 200 once the server listens, also while the chainlet's ``__init__`` runs."""
READINESS_PATH: Final = "/readyz"
"""Answers 200 once the chainlet's ``__init__`` has returned, 503 while starting or stopping."""
