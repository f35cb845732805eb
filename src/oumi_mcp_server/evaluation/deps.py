"""The `OUMI_EXTRA_DEPS_FILE` a local job gets, so `oumi evaluate` finds the offline evaluation
functions (`heldout_loss`, `prompt_suite`) in its registry.

oumi reads one such file (lines: paths of .py files it imports). When the person already names
one in the server's environment (a launch's envs may not set it: `jobs.env_policy`), the job
gets a combined file: this package's module first, then every line of theirs, so both load.
Files are named by a hash of their content, in the state folder: the plan shows the path, the
consent token binds it (the env hash), and an edit of their file after the plan gives another
path, so a new plan.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from oumi_mcp_server.core.atomic import write_text_atomic
from oumi_mcp_server.core.paths import state_dir

DEPS_ENV = "OUMI_EXTRA_DEPS_FILE"
MODULE = Path(__file__).resolve().with_name("oumi_mcp_server_evals.py")
MAX_USER_FILE = 64 * 1024
FOLDER = "eval_deps"


@dataclass(frozen=True)
class DepsEnv:
    env: dict[str, str] = field(default_factory=dict)
    note: str | None = None


def _their_lines(path: str) -> list[str] | None:
    try:
        with Path(path).open("rb") as fh:
            data = fh.read(MAX_USER_FILE + 1)
    except OSError:
        return None
    if len(data) > MAX_USER_FILE:
        return None
    return [ln.strip() for ln in data.decode("utf-8", "replace").splitlines() if ln.strip()]


def deps_env(envs: Mapping[str, str], inherited: Mapping[str, str] | None = None) -> DepsEnv:
    """The variable to add to a local job's environment (and a note for the plan, if any).

    `envs` are the launch's own variables, `inherited` the server's environment (the job
    inherits it); a deps file named in either is merged in, or left alone when unreadable.
    """
    inherited = os.environ if inherited is None else inherited
    theirs = envs.get(DEPS_ENV) or inherited.get(DEPS_ENV) or ""
    lines = [str(MODULE)]
    if theirs:
        their_lines = _their_lines(theirs)
        if their_lines is None:
            return DepsEnv(
                note=f"{DEPS_ENV}={theirs} is kept as is (unreadable or over {MAX_USER_FILE} "
                "bytes), so the offline evaluation tasks heldout_loss and prompt_suite are not "
                f"registered; add the line {MODULE} to it to have them."
            )
        lines += [ln for ln in their_lines if ln != str(MODULE)]
    text = "".join(f"{ln}\n" for ln in lines)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    folder = state_dir() / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"deps-{digest}.txt"
    try:
        current = path.read_text(encoding="utf-8")
    except OSError:
        current = None
    if current != text:
        write_text_atomic(path, text, mode=0o644)
    note = (
        f"{DEPS_ENV} combines your {theirs} with the offline evaluation functions' module."
        if theirs
        else None
    )
    return DepsEnv({DEPS_ENV: str(path)}, note)
