"""Build the oumi argument vector: command, config, validated `--section.key value` overrides.

Never a shell: every piece is one argv element, and anything that could be read as a shell
construct or as another option is refused with a clear error.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Mapping

from oumi_mcp_server.core import vocabulary
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.scripts import find_script

OUMI_BIN_ENV = "OUMI_MCP_OUMI_BIN"

MAX_NPROC = 64
MAX_OVERRIDES = 64
MAX_VALUE_LEN = 4096

_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.([A-Za-z_][A-Za-z0-9_]*|\d+))*\Z")
_BAD_VALUE = re.compile(r"[\x00-\x08\x0a-\x1f\x7f;|&`$<>]")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?([eE][-+]?\d+)?\Z")
OverrideValue = str | int | float | bool | None
CONFIG_ONLY_KEYS = frozenset({"trust_remote_code"})
"""Keys that change what code runs: accepted in a config file, never as a one-off override."""


def canonical_command(command: str) -> str:
    name = vocabulary.canonical_command(command)
    if name is None:
        raise ServiceError(
            "unknown_command",
            f"Unknown command {command[:40]!r}.",
            f"Use one of: {', '.join(vocabulary.COMMANDS)}.",
        )
    return name


def oumi_executable() -> list[str]:
    """The `oumi` CLI beside this Python (the same venv), else on PATH; env override for tests."""
    override = os.environ.get(OUMI_BIN_ENV)
    if override:
        return [override]
    found = find_script("oumi")
    return [found] if found else [sys.executable, "-m", "oumi"]


def _format_value(key: str, value: OverrideValue) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return repr(value)
    if not isinstance(value, str):
        raise ServiceError(
            "bad_override",
            f"Override {key!r} must be a string, number, boolean or null.",
            "Pass scalar values; lists go in the config file.",
        )
    if len(value) > MAX_VALUE_LEN or _BAD_VALUE.search(value):
        raise ServiceError(
            "bad_override",
            f"Override {key!r} has a value with a control or shell character (; | & ` $ < >), "
            f"or is over {MAX_VALUE_LEN} characters.",
            "Overrides are plain values (paths, numbers, names); put anything else in the config.",
        )
    if value.startswith("-") and not _NUMBER.match(value):
        raise ServiceError(
            "bad_override",
            f"Override {key!r} value starts with '-'.",
            "A value may not look like a command-line option.",
        )
    return value


def override_args(overrides: Mapping[str, OverrideValue] | None) -> list[str]:
    """`{"training.max_steps": 10}` -> `["--training.max_steps", "10"]`, validated."""
    if not overrides:
        return []
    if len(overrides) > MAX_OVERRIDES:
        raise ServiceError(
            "bad_override",
            f"Too many overrides ({len(overrides)} > {MAX_OVERRIDES}).",
            "Put them in the config file.",
        )
    args: list[str] = []
    seen: set[str] = set()
    for key, value in overrides.items():
        bare = key[2:] if key.startswith("--") else key
        if bare in seen:
            raise ServiceError(
                "bad_override",
                f"Override {bare[:80]!r} is given twice (with and without '--').",
                "Give each key once; oumi would run only the last value.",
            )
        seen.add(bare)
        if not _KEY.match(bare) or len(bare) > 200:
            raise ServiceError(
                "bad_override",
                f"Override key {key[:80]!r} is not a dotted config path.",
                "Use keys like 'training.max_steps' or 'model.model_name'.",
            )
        if bare.rsplit(".", 1)[-1] in CONFIG_ONLY_KEYS:
            raise ServiceError(
                "override_not_allowed",
                f"Override {bare!r} lets the job run code from the model's repository.",
                "Set it in the config file, where the person approving the plan reads it.",
            )
        args += [f"--{bare}", _format_value(bare, value)]
    return args


def build_argv(
    command: str, config: str, overrides: Mapping[str, OverrideValue] | None, nproc: int = 1
) -> list[str]:
    """The full argv; `nproc > 1` runs `oumi distributed torchrun -m oumi <command>`."""
    name = canonical_command(command)
    if not 1 <= nproc <= MAX_NPROC:
        raise ServiceError(
            "bad_nproc",
            f"nproc must be between 1 and {MAX_NPROC}, got {nproc}.",
            "Pass the number of local GPUs to use.",
        )
    if nproc > 1 and name not in vocabulary.DISTRIBUTED_COMMANDS:
        raise ServiceError(
            "bad_nproc",
            f"{name} does not run distributed.",
            f"Use nproc=1, or one of: {', '.join(sorted(vocabulary.DISTRIBUTED_COMMANDS))}.",
        )
    tail = [*vocabulary.OUMI_SUBCOMMAND[name], "-c", config, *override_args(overrides)]
    exe = oumi_executable()
    if nproc > 1:
        return [*exe, "distributed", "torchrun", "-m", "oumi", *tail]
    return [*exe, *tail]
