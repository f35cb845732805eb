"""Detached launch helper: `python -m oumi_mcp_server.clusters.launch_helper <run_dir>`.

Provisioning can take ten minutes; the server answers at once and this process, in its own
session, runs `launcher.up` and records the outcome (cluster name and launcher job id, or the
error) atomically in the run folder's `state.json`. A server restart meanwhile loses nothing.
A cancel asked for while launching is applied here as soon as `up` returns, so no job runs on
(and no cluster is left) unaccounted for: the cluster's name is fixed before `up` starts.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time
import traceback
from pathlib import Path

from oumi_mcp_server.clusters import runstate, slurm
from oumi_mcp_server.clusters.wrap import SLURM_CLOUDS
from oumi_mcp_server.core.detach import detach
from oumi_mcp_server.core.redact import redact_text
from oumi_mcp_server.jobs import procinfo
from oumi_mcp_server.jobs.states import LaunchPhase


def _error_text(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}".strip()
    return redact_text(text)[-2000:]


def launch(run_dir: Path) -> None:
    me = os.getpid()
    runstate.update(run_dir, helper_pid=me, helper_start_time=procinfo.start_time(me))
    spec = runstate.launch_spec(run_dir)
    cloud, name = spec["cloud"], spec["cluster"]
    target = slurm.parse_cluster(name) if cloud in SLURM_CLOUDS else None
    try:
        from oumi.core.configs import JobConfig

        from oumi_mcp_server.clusters import launcher_api

        job = JobConfig.from_yaml(str(run_dir / runstate.JOB_YAML))
        if runstate.cancel_requested(run_dir):  # the last moment nothing is launched yet
            runstate.update(
                run_dir,
                launch=LaunchPhase.CANCELLED,
                ended_at=time.time(),
                note="Cancelled before provisioning started; nothing was launched.",
            )
            return
        if target is not None:
            slurm.open_master(target)
            slurm.prepare(target)
        cluster, status = launcher_api.launcher().up(job, name, **spec.get("up_kwargs", {}))
        runstate.update(
            run_dir,
            launch=LaunchPhase.LAUNCHED,
            cluster=cluster.name(),
            launcher_job_id=str(status.id),
            launched_at=time.time(),
        )
        if runstate.cancel_requested(run_dir):
            try:
                cluster.cancel_job(str(status.id))
                runstate.update(run_dir, cancel_applied=True)
            except Exception as exc:
                runstate.update(run_dir, cancel_error=_error_text(exc))
    except BaseException as exc:
        traceback.print_exc()
        runstate.update(
            run_dir, launch=LaunchPhase.FAILED, error=_error_text(exc), ended_at=time.time()
        )
    finally:
        if target is not None:
            slurm.close_master(target)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m oumi_mcp_server.clusters.launch_helper <run_dir>", file=sys.stderr)
        return 2
    run_dir = Path(argv[0]).resolve()
    detach(wait_for_go=False)
    with (run_dir / runstate.HELPER_LOG).open("a") as log, contextlib.redirect_stdout(log):
        os.dup2(log.fileno(), 2)
        launch(run_dir)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
