"""The page in a real headless Chromium: it logs in with the token in the URL, its script runs
under the CSP and polling (with the cookie) swaps in fresh state (skipped without Chromium)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import uvicorn

from jobs.jobhelpers import wait_until
from oumi_mcp_server.core.http_token import HttpToken
from oumi_mcp_server.dashboard.app import build_app
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.wiring import job_service as get_service
from testsupport import free_port

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
PY = sys.executable


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (apt-get install chromium)")
def test_polling_shows_the_job_finishing(tmp_path: Path) -> None:
    svc = get_service()
    gate = tmp_path / "gate"
    code = (
        f"import os, time\nwhile not os.path.exists({str(gate)!r}): time.sleep(0.05)\n"
        "print('LATE MARKER', flush=True)\n"
    )
    rec = svc.submit_argv([PY, "-c", code], cwd=str(tmp_path), name="gated")
    wait_until(lambda: svc.status(rec.id).status, lambda s: s == "running")
    calls = 0

    def service() -> JobService:
        """The first page load sees it running; the job ends before the next request."""
        nonlocal calls
        calls += 1
        if calls == 2:
            gate.touch()
            wait_until(lambda: svc.status(rec.id).status, lambda s: s == "completed")
        return svc

    port = free_port()
    token = HttpToken("browser-test-token-" + "0" * 24, "/state/http.token")
    server = uvicorn.Server(
        uvicorn.Config(
            build_app(service=service, token=token),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            log_config=None,
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, bool, timeout=30)
        dom = subprocess.run(
            [
                str(CHROMIUM),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--virtual-time-budget=8000",
                "--dump-dom",
                f"http://127.0.0.1:{port}/jobs/{rec.id}?token={token.value}",  # logs in once
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        ).stdout
    finally:
        server.should_exit = True
        thread.join(timeout=10)
    assert calls >= 2
    assert 'class="badge s-completed"' in dom and "LATE MARKER" in dom
    assert re.search(r'id="updated"[^>]*>updated ', dom)  # the script ran, and no fetch failed
