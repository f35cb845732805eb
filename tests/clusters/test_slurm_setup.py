"""The localhost Slurm cluster itself: reachable over ssh, schedules and runs a batch job."""

from __future__ import annotations

import time

import pytest
from slurm_testbed import SlurmTestCluster

pytestmark = pytest.mark.slurm


def test_localhost_slurm_runs_a_batch_job_over_ssh(slurm_cluster: SlurmTestCluster) -> None:
    out = slurm_cluster.ssh("sinfo -h -o '%D %T'")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1", "idle"]
    sub = slurm_cluster.ssh(
        "sbatch --parsable --output=$HOME/setup-check.out --wrap 'echo ran-$USER'"
    )
    assert sub.returncode == 0, sub.stderr
    job_id = sub.stdout.strip()
    state = ""
    for _ in range(60):
        state = slurm_cluster.ssh(f"scontrol show job {job_id} | grep -o 'JobState=[A-Z]*'").stdout
        if "COMPLETED" in state or "FAILED" in state:
            break
        time.sleep(0.5)
    assert "COMPLETED" in state
    ran = slurm_cluster.ssh("cat $HOME/setup-check.out").stdout.strip()
    assert ran == f"ran-{slurm_cluster.user}"
    assert job_id not in slurm_cluster.squeue_ids()
