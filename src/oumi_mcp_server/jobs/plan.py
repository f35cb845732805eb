"""The launch plan: exactly what will run, where, with which environment; checked, not started.

`build_plan(request)` validates every argument (bad input raises `ServiceError` and changes
nothing), reads the config once (its sha256 is part of the plan, so editing it invalidates a
consent token), and attaches the pre-flight summary. `binding(built)` is what a consent token
signs: the fields that decide what runs, plus a hash of the real environment values (the plan
shows every added variable, secret-named ones redacted).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.redact import redact_env
from oumi_mcp_server.core.workspace import require_client_cwd
from oumi_mcp_server.evaluation.deps import DepsEnv, deps_env
from oumi_mcp_server.jobs import commands, env_policy
from oumi_mcp_server.jobs.models import LaunchPlan
from oumi_mcp_server.jobs.progress_base import reuse_notes
from oumi_mcp_server.jobs.record import LAUNCHER_BACKEND, LOCAL_BACKEND
from oumi_mcp_server.preflight.loading import (
    ConfigLoadError,
    parse_file_bytes,
    read_config_bytes,
    resolve_config_path,
)

logger = logging.getLogger(__name__)

PREFLIGHT_ENV = "OUMI_MCP_PREFLIGHT"
MAX_ENVS = 64
MAX_ENV_VALUE = 8192
_JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}\Z")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,127}\Z")
_OUTPUT_KEYS = {
    "train": ("training.output_dir",),
    "evaluate": ("output_dir",),
    "tune": ("tuning.output_dir", "output_dir"),
    "infer": ("output_path",),
    "synth": ("output_path",),
    "analyze": ("output_path", "analyze.output_path"),
    "quantize": ("output_path",),
    "judge": ("output",),  # not a config key: `oumi judge dataset --output FILE`, an override
}


@dataclass
class LaunchRequest:
    command: str
    config: str
    client_cwd: str
    overrides: Mapping[str, commands.OverrideValue] | None = None
    job_name: str | None = None
    envs: Mapping[str, str] | None = None
    nproc: int = 1
    cloud: str | None = None
    """None (or "local"): this machine; else a cloud or cluster kind of `oumi.launcher`."""
    cluster: Mapping[str, Any] | None = None
    """With `cloud`: the cluster options (validated by the launcher backend)."""

    @property
    def backend(self) -> str:
        return LAUNCHER_BACKEND if self.cloud and self.cloud != "local" else LOCAL_BACKEND


@dataclass
class BuiltPlan:
    """The plan shown to the person, plus what launching needs that it does not show."""

    plan: LaunchPlan
    config_path: Path
    config_bytes: bytes
    env: dict[str, str]
    model: str
    config_data: dict[str, Any]
    """The config as parsed from `config_bytes` (one read of the file for everything)."""


def validate_job_name(name: str | None) -> str | None:
    if name is None:
        return None
    if not _JOB_NAME.match(name) or ".." in name:
        raise ServiceError(
            "bad_job_name",
            f"job_name {name[:40]!r}{'...' if len(name) > 40 else ''} is not allowed.",
            "Use 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit, no '..'.",
        )
    return name


def validate_envs(envs: Mapping[str, str] | None) -> dict[str, str]:
    if not envs:
        return {}
    if len(envs) > MAX_ENVS:
        raise ServiceError(
            "bad_env", f"Too many envs ({len(envs)} > {MAX_ENVS}).", "Pass fewer variables."
        )
    out: dict[str, str] = {}
    for name, value in envs.items():
        if not _ENV_NAME.match(name):
            raise ServiceError(
                "bad_env",
                f"Environment variable name {name[:60]!r} is not valid.",
                "Use letters, digits and '_', not starting with a digit.",
            )
        if (
            not isinstance(value, str)
            or len(value) > MAX_ENV_VALUE
            or any(c in value for c in "\x00\n\r")
        ):
            raise ServiceError(
                "bad_env",
                f"The value of {name} holds a newline or NUL, or is over {MAX_ENV_VALUE} chars.",
                "Pass a single-line value.",
            )
        out[name] = value
    return out


def _lookup(data: Mapping[str, Any], dotted: str) -> Any:
    node: Any = data
    for part in dotted.split("."):
        if not isinstance(node, Mapping):
            return None
        node = node.get(part)
    return node


def _output_dir(
    command: str, data: Mapping[str, Any], overrides: Mapping[str, Any], cwd: Path
) -> str:
    for key in _OUTPUT_KEYS.get(command, ()):
        value = overrides.get(key, overrides.get(f"--{key}")) or _lookup(data, key)
        if isinstance(value, str) and value:
            path = Path(value).expanduser()
            path = path if path.is_absolute() else cwd / path
            return str(path if key.endswith("output_dir") else path.parent)
    return str(cwd / "output") if command == "train" else ""


def _preflight(
    config: Path, cwd: Path, overrides: Mapping[str, commands.OverrideValue]
) -> tuple[str, bool | None]:
    if os.environ.get(PREFLIGHT_ENV, "").lower() in ("0", "off", "false", "no"):
        return f"pre-flight skipped ({PREFLIGHT_ENV}=off)", None
    try:
        from oumi_mcp_server.preflight.service import run_preflight
    except ImportError:
        return "pre-flight unavailable in this build", None
    try:
        report = run_preflight(str(config), str(cwd), overrides=overrides)
    except Exception as exc:
        logger.warning("pre-flight failed: %s", exc)
        return f"pre-flight unavailable: {type(exc).__name__}", None
    return str(report.summary)[:1500], bool(report.ready)


def read_config(config: str, client_cwd: str) -> tuple[Path, bytes, dict[str, Any]]:
    """The config's path, exact bytes and data, read and parsed as pre-flight does.

    One bounded reader (regular files only, size checked before a byte is read) and one guarded
    YAML loader (alias bombs, deep nesting, control characters, bad values refused). Reading
    problems keep their code (config_not_found, config_too_large, ...); content problems are
    `bad_config` with the loader's code as details.reason.
    """
    cwd = require_client_cwd(client_cwd)
    try:
        path = resolve_config_path(config, cwd)
        raw = read_config_bytes(path)
    except ConfigLoadError as exc:
        raise exc.service_error() from None
    try:
        loaded, _warnings = parse_file_bytes(raw, path, cwd)
    except ConfigLoadError as exc:
        raise exc.service_error("bad_config") from None
    return path, raw, loaded.data


def build_plan(req: LaunchRequest, *, preflight: bool = True) -> BuiltPlan:
    command = commands.canonical_command(req.command)
    name = validate_job_name(req.job_name)
    user_env = validate_envs(req.envs)
    env_policy.check(user_env)
    overrides = dict(req.overrides or {})
    cwd = require_client_cwd(req.client_cwd)
    argv = commands.build_argv(command, "CONFIG", overrides, req.nproc)  # validates first
    path, raw, data = read_config(req.config, req.client_cwd)
    argv[argv.index("CONFIG")] = str(path)
    added = {"PYTHONUNBUFFERED": "1"}
    if req.nproc > 1 and "CUDA_VISIBLE_DEVICES" not in user_env:
        added["CUDA_VISIBLE_DEVICES"] = ",".join(str(i) for i in range(req.nproc))
    deps = deps_env(user_env) if req.backend == LOCAL_BACKEND else DepsEnv()
    env = added | user_env | deps.env
    summary, ready = _preflight(path, cwd, overrides) if preflight else ("pre-flight not run", None)
    model = _lookup(data, "model.model_name")
    output_dir = _output_dir(command, data, overrides, cwd)
    plan = LaunchPlan(
        command=command,
        argv=argv,
        cwd=str(cwd),
        config=str(path),
        config_sha256=hashlib.sha256(raw).hexdigest(),
        output_dir=output_dir,
        job_name=name,
        env=redact_env(env),
        nproc=req.nproc,
        backend=LOCAL_BACKEND,
        preflight=summary,
        preflight_ready=ready,
        notes=[
            "Runs on a snapshot of the config taken at launch; inherits the server's environment.",
            *reuse_notes(output_dir, _OUTPUT_KEYS.get(command, ())),
            *([deps.note] if deps.note else []),
        ],
    )
    return BuiltPlan(plan, path, raw, env, model if isinstance(model, str) else "", data)


def binding(built: BuiltPlan) -> dict[str, Any]:
    """What a consent token signs: everything that decides what runs, nothing informational."""
    p = built.plan
    env_hash = hashlib.sha256(json.dumps(built.env, sort_keys=True).encode()).hexdigest()
    return {
        "command": p.command,
        "argv": p.argv,
        "cwd": p.cwd,
        "config_sha256": p.config_sha256,
        "output_dir": p.output_dir,
        "job_name": p.job_name,
        "nproc": p.nproc,
        "backend": p.backend,
        "env_sha256": env_hash,
    }


def render(plan: LaunchPlan) -> str:
    """The plan as a person reads it (the elicitation message)."""
    env = ", ".join(f"{k}={v}" for k, v in plan.env.items()) or "(none added)"
    return "\n".join(
        [
            f"Launch oumi {plan.command} locally?",
            f"Command: {' '.join(plan.argv)}",
            f"Working dir: {plan.cwd}",
            f"Output dir: {plan.output_dir or '(not set)'}",
            f"Environment: {env}",
            f"Pre-flight: {plan.preflight}",
        ]
    )
