"""``GET /docs`` renders the chainlet's operations in a real headless browser (Debian's chromium)
with no network but loopback: Swagger UI's files come from the chainlet server itself."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile

import pytest

from tests.server_helpers import ServedChainlets

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
BROWSER_TIMEOUT_SEC = 120
RENDER_BUDGET_MS = 20_000

pytestmark = pytest.mark.skipif(
    not os.access(CHROMIUM, os.X_OK), reason="needs Debian's chromium (apt-get install chromium)"
)


def rendered_dom(url: str) -> str:
    """The DOM of ``url`` once its scripts ran, from a fresh headless chromium that can resolve
    no host name (so anything it would load from the internet fails)."""
    with tempfile.TemporaryDirectory(prefix="chains-chromium-") as profile:
        command = [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            f"--virtual-time-budget={RENDER_BUDGET_MS}",
            "--dump-dom",
            url,
        ]
        browser = subprocess.Popen(
            command,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its renderer and helper processes share the group
        )
        try:
            dom, errors = browser.communicate(timeout=BROWSER_TIMEOUT_SEC)
        except subprocess.TimeoutExpired:
            os.killpg(browser.pid, signal.SIGKILL)
            browser.communicate()
            raise AssertionError(f"chromium did not finish within {BROWSER_TIMEOUT_SEC}s") from None
        finally:
            if browser.poll() is None:
                os.killpg(browser.pid, signal.SIGKILL)
                browser.wait()
    assert browser.returncode == 0, f"chromium exited with {browser.returncode}:\n{errors[-2000:]}"
    return dom


def test_swagger_ui_shows_the_run_remote_operation_offline(chainlets: ServedChainlets) -> None:
    served = chainlets.start(
        "tests/test_runtime_openapi.py:ModelsInOut",
        {"chainlet": "ModelsInOut", "is_entrypoint": True, "api_key": "browser-key"},
    )
    dom = rendered_dom(f"{served.url}/docs")
    assert 'class="opblock-summary-path" data-path="/run_remote"' in dom, dom[-3000:]
    assert 'data-path="/healthz"' in dom
    assert "ModelsInOut" in dom  # the title, from /openapi.json
    assert "Authorize" in dom  # the API key's security schemes
    assert "Failed to load API definition" not in dom
    assert "Unable to render this definition" not in dom
