"""The config each run actually ran, flattened to dotted keys: its run folder's config snapshot
with the command-line overrides it was launched with applied (as oumi applies them), so two runs
that differ only by `--training.learning_rate` show that key. Secret-named values are hidden."""

from __future__ import annotations

import re
from typing import Any

import yaml

from oumi_mcp_server.core.echo import short
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.redact import is_secret_name
from oumi_mcp_server.core.safe_read import read_regular_file
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.results import MAX_SMALL_JSON

MAX_KEYS = 2_000
VALUE_CHARS = 120
REDACTED = "<redacted>"
_FLOAT = re.compile(r"[-+]?(\d+\.\d*|\.\d+|\d+(\.\d*)?[eE][-+]?\d+)", re.ASCII)
_Loader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where built (several times faster), else the pure-Python one."""


def _scalar(value: Any) -> str:
    """One value as text; a number written `1e-4` (a string to YAML 1.1, a float to OmegaConf)
    reads as the same float as `0.0001`."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str) and _FLOAT.fullmatch(value):
        value = float(value)
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, list | dict):
        return short(yaml.safe_dump(value, default_flow_style=True, width=10**6).strip(), 200)
    return short(str(value), 200)


def flatten(data: Any, prefix: str = "", out: dict[str, str] | None = None) -> dict[str, str]:
    """`{"a": {"b": 1}}` -> `{"a.b": "1"}`; lists stay one value; at most MAX_KEYS keys."""
    out = {} if out is None else out
    if not isinstance(data, dict):
        return out
    for key, value in data.items():
        if len(out) >= MAX_KEYS:
            break
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value:
            flatten(value, name + ".", out)
        else:
            out[name] = _scalar(value)
    return out


def overrides(argv: list[str]) -> dict[str, str]:
    """The `--key value` (or `--key=value`) overrides in a job's argv, values read as YAML."""
    found: dict[str, str] = {}
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg.startswith("--") and "=" in arg:
            key, raw = arg[2:].split("=", 1)
        elif arg.startswith("--") and i + 1 < len(argv):
            key, raw = arg[2:], argv[i + 1]
            i += 1
        else:
            i += 1
            continue
        i += 1
        try:
            value: Any = yaml.load(raw, Loader=_Loader)  # noqa: S506 -- a safe loader
        except yaml.YAMLError:
            value = raw
        found[key] = _scalar(value)
    return found


def run_config(rec: JobRecord) -> dict[str, str]:
    """The flattened config the job ran (empty when its snapshot is gone or unreadable)."""
    data: Any = None
    if rec.config_path:
        try:
            raw = read_regular_file(rec.config_path, MAX_SMALL_JSON, kind="config")
            data = yaml.load(raw, Loader=_Loader)  # noqa: S506 -- a safe loader
        except (ServiceError, OSError, yaml.YAMLError, RecursionError, ValueError):
            data = None
    values = flatten(data) | overrides(rec.argv)
    return {
        short(k, 120): REDACTED if is_secret_name(k.rsplit(".", 1)[-1]) else short(v, VALUE_CHARS)
        for k, v in values.items()
    }


def differing(configs: list[dict[str, str]]) -> list[tuple[str, list[str | None]]]:
    """The keys whose value is not the same in every run (unset counts as a value), in the order
    they first appear."""
    keys = list(dict.fromkeys(k for cfg in configs for k in cfg))
    rows: list[tuple[str, list[str | None]]] = []
    for key in keys:
        values = [cfg.get(key) for cfg in configs]
        if len(set(values)) > 1:
            rows.append((key, values))
    return rows
