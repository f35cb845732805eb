"""ssh/rsync plumbing for oumi's Slurm cloud, and the fixes it needs (found running oumi 0.9).

- oumi writes sbatch output to `~/oumi_slurm_logs` but never creates it (first job: exit 0:53):
  `prepare` creates it before the first submission.
- oumi's log stream expands `$HOME` on the local side: logs are read here with the remote `~`.
- oumi starts ssh ControlMasters that persist 4 h. `open_master` starts the master oumi reuses
  (same control path) with a short persistence, and `close_master` ends it: what we start, we stop.
Every call is a subprocess with a timeout, so nothing is left behind when it hits.
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from oumi_mcp_server.core.errors import ServiceError

LOG_DIR = "oumi_slurm_logs"
MASTER_PERSIST_S = 60
_CLUSTER = re.compile(r"^([a-zA-Z0-9._-]+)@([a-zA-Z0-9._-]+)\Z")
_JOB_ID = re.compile(r"^[0-9]+(_[0-9]+)?\Z")
_PROGRESS = re.compile(rb"(\d+)%")


@dataclass(frozen=True)
class Target:
    user: str
    host: str

    @property
    def dest(self) -> str:
        return f"{self.user}@{self.host}"


def parse_cluster(name: str) -> Target:
    match = _CLUSTER.match(name or "")
    if not match:
        raise ServiceError(
            "bad_cluster_name",
            f"Slurm cluster name {name[:80]!r} is not user@host.",
            "Pass cluster_name as user@login-host (an ssh host or alias you can reach).",
        )
    return Target(match.group(1), match.group(2))


def check_job_id(job_id: str) -> str:
    if not _JOB_ID.match(job_id or ""):
        raise ServiceError("bad_backend_job_id", f"Not a Slurm job id: {job_id[:40]!r}.")
    return job_id


def control_path() -> str:
    """oumi's control path (`~/.ssh/control-%h-%p-%r`, `~` = $HOME), so oumi reuses our master."""
    ssh_dir = Path.home() / ".ssh"
    ssh_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return str(ssh_dir / "control-%h-%p-%r")


def _ssh(target: Target, *opts: str) -> list[str]:
    return ["ssh", "-S", control_path(), "-o", "BatchMode=yes", *opts, target.dest]


def open_master(target: Target, timeout_s: float = 30) -> bool:
    """Start a ControlMaster that exits after MASTER_PERSIST_S idle (oumi's own lasts 4 h)."""
    check = subprocess.run(
        [*_ssh(target, "-O", "check")], capture_output=True, timeout=10, check=False
    )
    if check.returncode == 0:
        return False
    subprocess.run(
        _ssh(target, "-f", "-N", "-M", "-o", f"ControlPersist={MASTER_PERSIST_S}"),
        capture_output=True,
        timeout=timeout_s,
        check=False,
        stdin=subprocess.DEVNULL,
    )
    return True


def close_master(target: Target) -> None:
    with contextlib.suppress(subprocess.TimeoutExpired):
        subprocess.run(_ssh(target, "-O", "exit"), capture_output=True, timeout=10, check=False)


def run(target: Target, command: str, timeout_s: float = 30) -> subprocess.CompletedProcess[bytes]:
    """Run `command` on the login node (through the master when there is one); killed at timeout."""
    try:
        return subprocess.run(
            [*_ssh(target, "-o", "ConnectTimeout=10"), command],
            capture_output=True,
            timeout=timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        raise ServiceError(
            "cluster_timeout",
            f"{target.dest} did not answer within {timeout_s:.0f} s.",
            "Check that the login node is reachable (ssh), then retry.",
        ) from None


def prepare(target: Target) -> None:
    """What oumi's Slurm cloud needs before the first job and does not do itself."""
    out = run(target, f"mkdir -p ~/{LOG_DIR}", timeout_s=60)
    if out.returncode != 0:
        raise RuntimeError(
            f"could not prepare {target.dest}: {out.stderr.decode(errors='replace')[-300:]}"
        )


def log_tail(target: Target, job_id: str, max_bytes: int, timeout_s: float) -> bytes | None:
    """The last `max_bytes` of the job's sbatch output (None when it has none yet)."""
    job_id = check_job_id(job_id)
    out = run(target, f"tail -c {int(max_bytes)} ~/{LOG_DIR}/{job_id}.out", timeout_s)
    return out.stdout if out.returncode == 0 else None


def remote_dir(target: Target, job_id: str, marker: str, timeout_s: float = 30) -> str | None:
    """The job's working directory, as its run script printed it first."""
    job_id = check_job_id(job_id)
    out = run(target, f"grep -m1 '^{marker}' ~/{LOG_DIR}/{job_id}.out", timeout_s)
    line = out.stdout.decode(errors="replace").strip()
    return line[len(marker) :] or None if out.returncode == 0 and line else None


def rsync_down(
    target: Target,
    remote: str,
    local: Path,
    on_progress: Callable[[int], None] | None = None,
    timeout_s: float = 3600,
) -> None:
    """Copy `remote`/ into `local`/ (idempotent: a retry copies only what changed)."""
    if not remote.startswith("/") or any(c in remote for c in "\n\x00;|&`$'\""):
        raise ServiceError("bad_remote_path", f"Unexpected remote path {remote[:120]!r}.")
    local.mkdir(parents=True, exist_ok=True)
    cmd = [
        "rsync",
        "-a",
        "--partial",
        "--info=progress2",
        "--no-inc-recursive",
        "-e",
        f"ssh -S {control_path()} -o BatchMode=yes",
        f"{target.dest}:{remote.rstrip('/')}/",
        f"{local}/",
    ]
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    assert proc.stdout is not None
    try:
        buf = b""
        while chunk := os.read(proc.stdout.fileno(), 4096):
            buf = (buf + chunk)[-512:]
            found = _PROGRESS.findall(buf)
            if found and on_progress is not None:
                on_progress(int(found[-1]))
        proc.wait(timeout=timeout_s)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if proc.returncode != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise ServiceError(
            "fetch_failed",
            f"rsync from {target.dest}:{remote} failed ({proc.returncode}): {err.strip()[-400:]}",
            "Check the cluster is reachable and the job wrote its outputs, then retry.",
        )
