"""The localhost Slurm test cluster as the tests see it (set up by conftest's `slurm_cluster`)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SlurmTestCluster:
    state_dir: Path
    ssh_alias: str  # an ssh host alias (port, key) resolvable by every process of the suite
    user: str
    port: int
    key: Path
    slurm_conf: Path
    job_home: Path  # the job user's home on the cluster (differs from every test's HOME)

    @property
    def cluster_name(self) -> str:
        """The name oumi's slurm cloud expects: user@host."""
        return f"{self.user}@{self.ssh_alias}"

    def ssh(self, command: str, timeout: float = 30) -> subprocess.CompletedProcess[str]:
        """Run `command` on the cluster as the job user."""
        return subprocess.run(
            ["ssh", "-o", "ControlMaster=no", "-o", "ControlPath=none", self.ssh_alias, command],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def squeue_ids(self) -> list[str]:
        out = self.ssh("squeue -h -o %i")
        assert out.returncode == 0, out.stderr
        return out.stdout.split()
