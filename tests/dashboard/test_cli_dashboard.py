"""`oumi-mcp-server dashboard` as a real process over the same job store; light import."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
from click.testing import CliRunner

from jobs.jobhelpers import wait_until
from oumi_mcp_server.cli.main import cli
from oumi_mcp_server.core.scripts import server_argv
from oumi_mcp_server.jobs.service import JobService
from testsupport import free_port, stop_process, subprocess_env

PY = sys.executable


def test_dashboard_command_serves_the_jobs_api(tmp_path: Path) -> None:
    svc = JobService()
    rec = svc.submit_argv([PY, "-c", "print('hello')"], cwd=str(tmp_path), name="from-cli")
    wait_until(lambda: svc.status(rec.id).status, lambda s: s == "completed")
    port = free_port()
    proc = subprocess.Popen(
        server_argv("dashboard", "--port", str(port)),
        env=subprocess_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    ok = False
    try:
        url = f"http://127.0.0.1:{port}"

        def fetch() -> httpx.Response | None:
            try:
                return httpx.get(f"{url}/api/jobs", timeout=5)
            except httpx.TransportError:
                assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
                return None

        resp = wait_until(fetch, lambda r: r is not None, timeout=60, every=0.2)
        assert resp.status_code == 200
        jobs = resp.json()["jobs"]
        assert [(j["job_id"], j["status"], j["name"]) for j in jobs] == [
            (rec.id, "completed", "from-cli")
        ]
        page = httpx.get(f"{url}/jobs/{rec.id}", timeout=5)
        assert page.status_code == 200 and "hello" in page.text
        foreign = httpx.get(f"{url}/api/jobs", headers={"Host": "evil.example"}, timeout=5)
        assert foreign.status_code == 403
        ok = True
    finally:
        stop_process(proc)
        if not ok and proc.stderr:  # show the server's traceback with the failure
            sys.stderr.write(proc.stderr.read().decode(errors="replace")[-4000:])
    assert proc.returncode is not None


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
