"""Helpers the tests import by name (conftest.py is not importable once several exist)."""

from __future__ import annotations

import os
import socket
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_CONFIGS = REPO_ROOT.parent / "shared" / "oumi-configs"


def subprocess_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a spawned server or oumi process: the test's isolated env plus extras."""
    env = dict(os.environ)
    env.update(extra or {})
    return env


def free_port() -> int:
    """A loopback TCP port nobody listens on right now (for a server a test starts)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """Terminate `proc` if it still runs, kill it if it ignores that, and reap it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
