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

from pathlib import Path
from typing import Any

from oumi_mcp_server.jobs import cancel_request, runfolder
from oumi_mcp_server.jobs.states import RunState

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
