"""The cluster job's run folder: what the launch helper and the status resolver read and write.

Files beside the jobs package's own (`runfolder.py`) in `runs/<job_id>/`:

    launch.json   what to launch: cloud, cluster name, job config path, up() kwargs (written once)
    job.yaml      the launcher job config (loads with `oumi.core.configs.JobConfig`)
    state.json    `RunState`: launch phase launching -> launched | failed | cancelled; helper
                  pid and start time, cluster, launcher job id, error, cancel_applied
    final.json    the outcome, once reconcile saw the job end (never asked again)
    cancel        present once a cancel was asked for (applied by the helper if still launching)
    stdout.log    a bounded snapshot of the job's remote log (what get_job_logs reads)
    fetched.json / fetch_error.json   the automatic fetch's result
    helper.log    the helper's own output

Standard library only: the helper imports this before oumi.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.jobs import cancel_request, runfolder
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.states import LaunchPhase, RunState

LAUNCH = "launch.json"
JOB_YAML = "job.yaml"
HELPER_LOG = "helper.log"
OUTPUTS = "outputs"
CANCEL_MARK = runfolder.CANCEL_MARK
STATE = runfolder.STATE
STDOUT = runfolder.STDOUT

read_json = runfolder.read_json
write_json_atomic = runfolder.write_json_atomic


def launch_spec(run_dir: Path) -> dict[str, Any]:
    spec = read_json(run_dir / LAUNCH)
    if spec is None:
        raise FileNotFoundError(f"{run_dir / LAUNCH} is missing")
    return spec


def state(run_dir: Path) -> RunState:
    return runfolder.read_state(run_dir) or RunState()


def update(run_dir: Path, **fields: Any) -> RunState:
    return runfolder.update_state(run_dir, **fields)


def cancel_requested(run_dir: Path) -> bool:
    return cancel_request.read(run_dir) is not None


def request_cancel(run_dir: Path) -> None:
    cancel_request.write(run_dir, cancel_request.DEFAULT_GRACE_S)


@dataclass(frozen=True)
class Identity:
    """Where a launched job lives, as the launcher knows it."""

    cloud: str
    cluster: str
    job_id: str

    def args(self) -> tuple[str, str, str]:
        return self.cloud, self.cluster, self.job_id


def identity(rec: JobRecord) -> Identity | None:
    """The launched job's identity, or None while it is not launched (or never was)."""
    run_dir = Path(rec.run_dir)
    spec = read_json(run_dir / LAUNCH) if rec.run_dir else None
    if spec is None:
        cloud = str(rec.extra.get("cloud") or "")
        if rec.origin.startswith("legacy") and cloud and rec.cluster:  # legacy cloud record
            return Identity(cloud, rec.cluster, rec.backend_job_id)
        return None
    st = state(run_dir)
    if st.launch is not LaunchPhase.LAUNCHED:
        return None
    return Identity(str(spec["cloud"]), st.cluster or str(spec["cluster"]), str(st.launcher_job_id))
