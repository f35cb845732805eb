"""`oumi-mcp-server jobs list|prune` over the same store the server uses."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from click.testing import CliRunner

from jobs.jobhelpers import wait_until
from oumi_mcp_server.cli.main import cli
from oumi_mcp_server.jobs.service import JobService

PY = sys.executable


def test_list_and_prune(service: JobService, tmp_path: Path) -> None:
    done = service.submit_argv([PY, "-c", "pass"], cwd=str(tmp_path), name="old-done")
    wait_until(lambda: service.status(done.id).status, lambda s: s == "completed")
    running = service.submit_argv([PY, "-c", "import time; time.sleep(60)"], cwd=str(tmp_path))
    wait_until(lambda: service.status(running.id).status, lambda s: s == "running")
    runner = CliRunner()
    out = runner.invoke(cli, ["jobs", "list"])
    assert out.exit_code == 0 and done.id in out.output and running.id in out.output
    listed = json.loads(
        runner.invoke(cli, ["jobs", "list", "--json", "--status", "running"]).output
    )
    assert [j["job_id"] for j in listed["jobs"]] == [running.id]
    bad = runner.invoke(cli, ["jobs", "list", "--status", "sleeping"])
    assert bad.exit_code != 0 and "Unknown status" in bad.output
    # Both look old: only the finished one may go, the running one never.
    for rec in (done, running):
        service.store.delete([rec.id])
        rec.submitted_at -= 30 * 86400
        service.store.insert(rec)
    dry = runner.invoke(cli, ["jobs", "prune", "--older-than", "7", "--dry-run"])
    assert dry.exit_code == 0 and done.id in dry.output and running.id not in dry.output
    assert service.store.get(done.id) is not None
    real = runner.invoke(cli, ["jobs", "prune", "--older-than", "7", "--yes"])
    assert real.exit_code == 0 and "Deleted 1" in real.output
    assert service.store.get(done.id) is None and not Path(done.run_dir).exists()
    assert service.store.get(running.id) is not None and Path(running.run_dir).exists()
    assert service.status(running.id).status == "running"
    assert runner.invoke(cli, ["jobs", "prune", "--older-than", "7", "--yes"]).output.startswith(
        "Nothing to prune"
    )


def test_list_resolves_cluster_jobs_in_a_fresh_process(service: JobService, tmp_path: Path) -> None:
    """A cluster job's status comes from its launcher backend, in the CLI too (no MCP server)."""
    import subprocess
    import time

    from oumi_mcp_server.jobs import runfolder
    from oumi_mcp_server.jobs.record import JobRecord
    from oumi_mcp_server.jobs.states import LaunchPhase

    run_dir = tmp_path / "run"
    run_dir.mkdir()
    (run_dir / "launch.json").write_text(json.dumps({"cloud": "slurm", "cluster": "c"}))
    runfolder.update_state(
        run_dir, launch=LaunchPhase.FAILED, error="no such host", ended_at=time.time()
    )
    rec = JobRecord(
        id="train-cluster-1",
        name="n",
        command="train",
        backend="launcher",
        backend_job_id="",
        submitted_at=time.time(),
        run_dir=str(run_dir),
    )
    service.store.insert(rec)
    out = subprocess.run(
        [PY, "-c", "from oumi_mcp_server.cli.main import main; main()", "jobs", "list", "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    (job,) = [j for j in json.loads(out.stdout)["jobs"] if j["job_id"] == rec.id]
    assert job["status"] == "failed", job
