"""`oumi-mcp-server dashboard` as a real process over the same job store; light import."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
from click.testing import CliRunner

from jobs.jobhelpers import wait_until
from oumi_mcp_server.cli.main import cli
from oumi_mcp_server.core import http_token
from oumi_mcp_server.core.http_token import TOKEN_ENV
from oumi_mcp_server.core.scripts import server_argv
from oumi_mcp_server.jobs.service import JobService
from testsupport import free_port, stop_process, subprocess_env

PY = sys.executable


def test_dashboard_command_serves_the_jobs_api_behind_the_token(tmp_path: Path) -> None:
    svc = JobService()
    rec = svc.submit_argv([PY, "-c", "print('hello')"], cwd=str(tmp_path), name="from-cli")
    wait_until(lambda: svc.status(rec.id).status, lambda s: s == "completed")
    port = free_port()
    env = subprocess_env()
    env.pop(TOKEN_ENV, None)
    proc = subprocess.Popen(
        server_argv("dashboard", "--port", str(port)),
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    ok = False
    try:
        base = f"http://127.0.0.1:{port}"

        def fetch() -> httpx.Response | None:
            try:
                return httpx.get(f"{base}/api/jobs", timeout=5)
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                return None

        anonymous = wait_until(fetch, lambda r: r is not None, timeout=60, every=0.2)
        assert anonymous.status_code == 401 and "?token=" in anonymous.json()["error"]["fix"]
        assert proc.stderr is not None
        announced = proc.stderr.readline().decode()
        token = http_token.load()  # the one the dashboard generated in the state folder
        assert token.source == str(http_token.default_path()) and token.where in announced
        url = re.search(r"open (http://\S+)", announced)
        assert url is not None and url.group(1) == f"{base}/?token={token.value}"
        cmdline = Path(f"/proc/{proc.pid}/cmdline")
        if cmdline.exists():
            assert token.value.encode() not in cmdline.read_bytes()

        with httpx.Client(timeout=5) as browser:  # a browser opening the printed URL
            page = browser.get(url.group(1), follow_redirects=True)
            assert page.status_code == 200 and "from-cli" in page.text
            assert str(page.url) == f"{base}/"  # the token left the address bar
            jobs = browser.get(f"{base}/api/jobs").json()["jobs"]  # the cookie is enough
        assert [(j["job_id"], j["status"], j["name"]) for j in jobs] == [
            (rec.id, "completed", "from-cli")
        ]
        bearer = {"Authorization": f"Bearer {token.value}"}
        detail = httpx.get(f"{base}/jobs/{rec.id}", headers=bearer, timeout=5)
        assert detail.status_code == 200 and "hello" in detail.text
        foreign = httpx.get(
            f"{base}/api/jobs", headers={**bearer, "Host": "evil.example"}, timeout=5
        )
        assert foreign.status_code == 403
        ok = True
    finally:
        stop_process(proc)
        stdout = proc.stdout.read() if proc.stdout else b""
        if not ok and proc.stderr:  # show the server's traceback with the failure
            sys.stderr.write(proc.stderr.read().decode(errors="replace")[-4000:])
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()
    assert proc.returncode is not None
    assert stdout == b""  # the token goes to stderr, for the person; stdout stays clean


def test_dashboard_refuses_a_non_loopback_bind() -> None:
    out = CliRunner().invoke(cli, ["dashboard", "--host", "0.0.0.0", "--port", "8766"])
    assert out.exit_code == 2 and "loopback only" in out.output and "ssh -L" in out.output


def test_importing_the_dashboard_stays_light() -> None:
    code = (
        "import sys, json, oumi_mcp_server.dashboard.app\n"
        "print(json.dumps(sorted(m for m in ('torch', 'transformers', 'oumi', 'sky', 'datasets', "
        "'mcp') if m in sys.modules)))"
    )
    out = subprocess.run(
        [PY, "-c", code], capture_output=True, text=True, check=True, env=subprocess_env()
    )
    assert json.loads(out.stdout) == [], out.stdout
