"""Path-like fields, resolved against the client's folder (never the server's cwd).

Inputs must exist; an output folder only has to be creatable (a missing one is fine, and a
relative one on a remote target is created there). For a remote target, absolute paths of
this machine and files the sync excludes are flagged.
"""

from __future__ import annotations

import os
import re
import shlex
from pathlib import Path

from oumi_mcp_server.preflight.context import (
    OUTPUT_KEYS,
    PATH_KEY_SUFFIXES,
    CheckContext,
    get,
    is_uri,
    walk_strings,
)
from oumi_mcp_server.preflight.loading import KeyPath
from oumi_mcp_server.preflight.models import Finding
from oumi_mcp_server.preflight.syncignore import sync_excludes

# Checked by the datasets and models checks.
_OWNED_ELSEWHERE = frozenset(
    {"dataset_path", "input_path", "model_name", "tokenizer_name", "adapter_model"}
)
_CONFIG_ARG = re.compile(r"(?:^|\s)(?:-c|--config)[ =](\S+)")


def _is_output(key: str) -> bool:
    return key in OUTPUT_KEYS or key.startswith("output") or "cache" in key or "log" in key


def _skip(value: str) -> bool:
    return not value.strip() or is_uri(value) or "${" in value or value[:1] == "$"


def local_machine_path(p: Path, ctx: CheckContext) -> bool:
    """An absolute path that belongs to this machine (home, project) and not to a remote one."""
    home = Path.home()
    return (
        p.is_relative_to(ctx.cwd)
        or p.is_relative_to(home)
        or str(p).startswith(("/Users/", "/private/", "/tmp/"))  # noqa: S108 - not a temp file
    )


def check_output(ctx: CheckContext, path: KeyPath, value: str) -> list[Finding]:
    raw = Path(os.path.expandvars(value)).expanduser()
    key = str(path[-1])
    if ctx.remote:
        if raw.is_absolute() and local_machine_path(raw, ctx):
            return [
                ctx.finding(
                    "warning",
                    "local_path_on_remote",
                    f"`{key}` is {value}, a path of this machine; the remote job writes there.",
                    "Use a relative path (created under the remote working directory).",
                    path,
                )
            ]
        return []
    target = ctx.resolve(value)
    if target.exists() and not target.is_dir() and key.endswith(("_dir", "_folder")):
        return [
            ctx.finding(
                "error",
                "output_not_a_directory",
                f"`{key}` {target} exists and is a file.",
                "Point it at a folder (it will be created if missing).",
                path,
            )
        ]
    parent = target if target.exists() else target.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        return [
            ctx.finding(
                "error",
                "output_not_writable",
                f"`{key}` {target} cannot be created: {parent} is a file.",
                "Choose another output location.",
                path,
            )
        ]
    if not os.access(parent, os.W_OK | os.X_OK):
        return [
            ctx.finding(
                "error",
                "output_not_writable",
                f"`{key}` {target} is not writable ({parent} refuses writes).",
                "Choose a folder you can write to, e.g. a relative `output/...`.",
                path,
            )
        ]
    return []


def check_input(ctx: CheckContext, path: KeyPath, value: str, what: str = "") -> list[Finding]:
    """An input file or folder: present locally, or reachable by the remote job."""
    key = str(path[-1])
    what = what or f"`{key}`"
    raw = Path(os.path.expandvars(value)).expanduser()
    target = ctx.resolve(value)
    outside = not raw.is_absolute() and not target.resolve().is_relative_to(ctx.cwd)
    if ctx.remote:
        if raw.is_absolute():
            if local_machine_path(raw, ctx):
                return [
                    ctx.finding(
                        "error",
                        "local_path_on_remote",
                        f"{what} is {value}, a path on this machine that will not exist on the "
                        f"remote machine ({ctx.cloud}).",
                        "Use a path relative to the project folder (it is synced), or mount it.",
                        path,
                    )
                ]
            return [
                ctx.finding(
                    "info",
                    "unverifiable_remote_path",
                    f"{what} {value} cannot be checked from here.",
                    "Make sure it exists on the remote machine.",
                    path,
                )
            ]
        if outside:
            return [
                ctx.finding(
                    "error",
                    "path_outside_workspace",
                    f"{what} {value} lies outside the project folder, which is all "
                    "that is synced to the remote machine.",
                    "Move the file into the project folder.",
                    path,
                )
            ]
        if not target.exists():
            return [
                ctx.finding(
                    "warning",
                    "path_not_found_locally",
                    f"{what} {value} is not in the project folder ({target}).",
                    "Make sure the remote job creates or mounts it.",
                    path,
                )
            ]
        rule = sync_excludes(ctx.cwd, target)
        if rule:
            return [
                ctx.finding(
                    "error",
                    "path_excluded_from_sync",
                    f"{what} {value} is excluded from the upload by {rule}.",
                    "Add a `!pattern` exception, or mount the file explicitly.",
                    path,
                )
            ]
        return []
    if not target.exists():
        return [
            ctx.finding(
                "error",
                "path_not_found",
                f"{what} {target} does not exist.",
                f"Create it or fix the path (relative to {ctx.cwd}).",
                path,
            )
        ]
    if outside:
        return [
            ctx.finding(
                "warning",
                "path_outside_workspace",
                f"{what} {value} resolves to {target.resolve()}, outside {ctx.cwd}.",
                "Fine locally; keep inputs in the project folder for remote runs.",
                path,
            )
        ]
    return []


def _check_job(ctx: CheckContext) -> list[Finding]:
    out: list[Finding] = []
    wd_value = get(ctx.data, "working_dir")
    wd = ctx.cwd
    if isinstance(wd_value, str) and wd_value.strip():
        wd = ctx.resolve(wd_value)
        if not wd.is_dir():
            out.append(
                ctx.finding(
                    "error",
                    "working_dir_not_found",
                    f"working_dir {wd} is not a folder on this machine.",
                    "Use `working_dir: .` (the project folder).",
                    ("working_dir",),
                )
            )
            return out
    mounts = get(ctx.data, "file_mounts")
    if isinstance(mounts, dict):
        for remote, src in mounts.items():
            if isinstance(src, str) and not _skip(src):
                p = Path(src).expanduser()
                p = p if p.is_absolute() else ctx.cwd / p
                if not p.exists():
                    out.append(
                        ctx.finding(
                            "error",
                            "file_mount_source_missing",
                            f"file_mounts source {src} (for {remote}) does not exist here.",
                            "Fix the local path or drop the mount.",
                            ("file_mounts", str(remote)),
                        )
                    )
    for key in ("setup", "run"):
        script = get(ctx.data, key)
        if not isinstance(script, str):
            continue
        for match in _CONFIG_ARG.finditer(script):
            arg = shlex.split(match.group(1), posix=True)[0] if match.group(1) else ""
            if arg and not _skip(arg) and not Path(arg).is_absolute() and not (wd / arg).exists():
                out.append(
                    ctx.finding(
                        "warning",
                        "run_config_not_found",
                        f"`{key}` uses config {arg}, not found under working_dir {wd}.",
                        "Fix the path, relative to working_dir.",
                        (key,),
                    )
                )
    return out


def check_paths(ctx: CheckContext) -> list[Finding]:
    if ctx.task_type == "job":
        return _check_job(ctx)
    out: list[Finding] = []
    for path, value in walk_strings(ctx.data):
        key = str(path[-1]) if path and isinstance(path[-1], str) else ""
        if not key.endswith(PATH_KEY_SUFFIXES) or key in _OWNED_ELSEWHERE or _skip(value):
            continue
        if _is_output(key):
            out.extend(check_output(ctx, path, value))
        else:
            out.extend(check_input(ctx, path, value))
    return out
