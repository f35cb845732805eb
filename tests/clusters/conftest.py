"""A real single-node Slurm cluster on localhost for the cluster tests, set up once per session.

`slurm_cluster` runs `slurm/setup_slurm.sh` (root + apt: slurm-wlm, munge, openssh-server) and
always runs `slurm/teardown_slurm.sh` afterwards. Where the machine cannot host it, the tests
that need it skip with the reason, never silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from slurm_testbed import SlurmTestCluster

HERE = Path(__file__).resolve().parent
TRAIN = {
    "model": {"model_name": "model", "torch_dtype_str": "float32"},
    "data": {
        "train": {
            "datasets": [{"dataset_name": "text_sft_jsonl", "dataset_path": "data/train.jsonl"}]
        }
    },
    "training": {"max_steps": 3, "output_dir": "output/run1"},
}
SETUP = HERE / "slurm" / "setup_slurm.sh"
TEARDOWN = HERE / "slurm" / "teardown_slurm.sh"


def _unavailable_reason() -> str | None:
    if os.name != "posix" or os.geteuid() != 0:
        return "the localhost Slurm cluster needs root (it runs sshd, munged and slurmd)"
    tools = ("slurmctld", "slurmd", "munged", "rsync", "ssh")
    if not all(shutil.which(t) for t in tools) and not shutil.which("apt-get"):
        return f"the localhost Slurm cluster needs {', '.join(tools)} or apt-get to install them"
    return None


def _read_env(path: Path) -> dict[str, str]:
    pairs = (line.split("=", 1) for line in path.read_text().splitlines() if "=" in line)
    return {k: v for k, v in pairs}


@pytest.fixture(scope="session")
def slurm_cluster() -> Iterator[SlurmTestCluster]:
    """Start the cluster once for the session; tear it down by pid whatever happens."""
    reason = _unavailable_reason()
    if reason:
        pytest.skip(reason)
    # Not under pytest's basetemp: it is 0700 (the job user must reach its home and sshd its
    # keys) and other pytest runs on this machine prune old basetemps.
    state = Path(tempfile.mkdtemp(prefix="oumi-slurm-test-"))
    try:
        # Jobs run as an unprivileged user: they must reach this venv's interpreter.
        env = {**os.environ, "OUMI_SLURM_TEST_REACH": os.path.realpath(sys.executable)}
        proc = subprocess.run(
            ["bash", str(SETUP), str(state)],
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            env=env,
        )
        if proc.returncode != 0:
            why = proc.stderr.strip()[-800:]
            pytest.skip(f"the localhost Slurm cluster could not start: {why}")
        env = _read_env(state / "env")
        yield SlurmTestCluster(
            state_dir=state,
            ssh_alias=env["SLURM_SSH_ALIAS"],
            user=env["SLURM_SSH_USER"],
            port=int(env["SLURM_SSH_PORT"]),
            key=Path(env["SLURM_SSH_KEY"]),
            slurm_conf=Path(env["SLURM_CONF"]),
            job_home=Path(env["SLURM_JOB_HOME"]),
        )
    finally:
        subprocess.run(
            ["bash", str(TEARDOWN), str(state)], capture_output=True, timeout=120, check=False
        )
        shutil.rmtree(state, ignore_errors=True)


@pytest.fixture
def fake_cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The fake cloud, visible to this process and to the launch helper it starts."""
    monkeypatch.setenv("FAKE_CLOUD_DIR", str(tmp_path / "fake_cloud"))
    monkeypatch.setenv("OUMI_MCP_CLOUD_PLUGINS", "fake_cloud")
    monkeypatch.setenv("OUMI_MCP_PREFLIGHT", "off")
    path = os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    monkeypatch.setenv("PYTHONPATH", path)
    monkeypatch.delenv("FAKE_CLOUD_FAIL", raising=False)
    monkeypatch.delenv("FAKE_CLOUD_UP_DELAY", raising=False)
    project = tmp_path / "project"
    (project / "configs").mkdir(parents=True)
    (project / "configs" / "train.yaml").write_text(yaml.safe_dump(TRAIN))
    return project
