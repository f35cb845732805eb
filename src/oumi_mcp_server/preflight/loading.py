"""Read a config given as a path or as inline YAML, safely, into a mapping that is an Oumi config.

Files are read bounded (core.safe_read: regular files only, size checked before reading) and
parsed by the one guarded YAML loader (preflight.yaml_guard: bytes, values, depth and time
bounded). Keys keep their line and column so every finding can point at the line to change;
keys are quoted back only short and escaped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from oumi_mcp_server.core.echo import KEY_CHARS, short, short_path
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_read import read_regular_file
from oumi_mcp_server.core.workspace import require_client_cwd, resolve_in_workspace
from oumi_mcp_server.preflight.models import Finding, Location
from oumi_mcp_server.preflight.yaml_guard import YamlRefused, load_yaml

MAX_CONFIG_BYTES = 1_000_000
MAX_DUPLICATE_WARNINGS = 10
INLINE = "<inline>"
_INLINE_RE = re.compile(r"^\s*[\w.\-\"']+\s*:(\s|$)")
# Every top-level field of oumi's config classes, the analyze CLI's (v2) and the old analyze
# format's (tests compare it with the oumi index): a mapping with
# none of them is not an Oumi config, whatever it is, and is refused without being quoted.
OUMI_TOP_LEVEL_KEYS = frozenset(
    {
        "analyzers", "awq_group_size", "awq_version", "awq_zero_point", "batch_size",
        "calibration_samples", "checkpoints_dir", "cleanup_temp", "custom_metrics", "data",
        "dataset_format", "dataset_name", "dataset_path", "dataset_source", "deepspeed",
        "enable_wandb", "engine", "environment_config", "environment_config_path", "envs",
        "eval_name", "evaluation", "file_mounts", "fsdp", "generate_report", "generation",
        "inference_config", "inference_engine", "inference_remote_params", "input_path",
        "is_multimodal", "judge_params", "method", "model", "name", "num_nodes", "num_retries",
        "num_samples", "output_dir", "output_format", "output_path", "parent_eval_id", "peft",
        "polling_interval", "processor_kwargs", "processor_name", "progress_path",
        "remote_params", "report_title", "resources", "rubric_judge_params",
        "rule_judge_params", "run", "run_name", "sample_count", "setup", "split",
        "storage_mounts", "strategy", "strategy_params", "subset", "tasks", "tests",
        "tokenizer_kwargs", "tokenizer_name", "training", "trust_remote_code", "tuning", "user",
        "verbose", "working_dir",
    }
)  # fmt: skip

KeyPath = tuple[str | int, ...]


@dataclass
class LoadedConfig:
    """A parsed config: its mapping, where each key sits, and where it came from."""

    data: dict[str, Any]
    text: str
    file: Path | None
    client_cwd: Path
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    duplicates: list[KeyPath] = field(default_factory=list)  # keys given twice, in order

    @property
    def display_file(self) -> str:
        return short_path(self.file) if self.file else INLINE

    def location(self, path: KeyPath) -> Location:
        """Location of `path`, or of its nearest ancestor that has one (the key cut short)."""
        key = shown_key(path) or None
        for end in range(len(path), 0, -1):
            pos = self.positions.get(path[:end])
            if pos:
                return Location(file=self.display_file, line=pos[0], column=pos[1], key=key)
        return Location(file=self.display_file, key=key)


def shown_key(path: KeyPath) -> str:
    """A dotted key path for a message: each key short and escaped, the whole cut too."""
    return short(".".join(short(p, KEY_CHARS) for p in path), 2 * KEY_CHARS)


class ConfigLoadError(Exception):
    """The config could not be read or parsed; `finding` says why and where."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding

    def service_error(self, code: str | None = None) -> ServiceError:
        """The same refusal for callers that answer with errors; `code` replaces the finding's
        (which is then kept as details.reason)."""
        f = self.finding
        where = {"line": f.location.line, "column": f.location.column} if f.location else {}
        details: dict[str, Any] = {k: v for k, v in where.items() if v is not None}
        if code:
            details["reason"] = f.code
        return ServiceError(code or f.code, f.message, f.fix, details)


def _fail(code: str, message: str, fix: str, location: Location | None = None) -> ConfigLoadError:
    return ConfigLoadError(
        Finding(severity="error", code=code, message=message, fix=fix, location=location)
    )


def is_inline_yaml(config: str) -> bool:
    return "\n" in config or (
        bool(_INLINE_RE.match(config)) and not config.endswith((".yaml", ".yml"))
    )


def read_config_bytes(path: Path) -> bytes:
    """The config file's bytes: a regular file, stat-checked, never more than MAX_CONFIG_BYTES."""
    try:
        return read_regular_file(path, MAX_CONFIG_BYTES, kind="config")
    except ServiceError as exc:
        raise _fail(exc.code, exc.message, exc.fix, Location(file=short_path(path))) from None


def _decode(raw: bytes, loc: Location) -> str:
    if b"\x00" in raw:
        raise _fail(
            "config_binary",
            "The config holds NUL bytes: it is a binary file, not YAML.",
            "Pass an Oumi YAML config.",
            loc,
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise _fail(
            "config_binary",
            f"The config is not UTF-8 text (byte {exc.start}).",
            "Pass an Oumi YAML config saved as UTF-8.",
            loc,
        ) from None


def _positions(
    node: yaml.Node,
    path: KeyPath,
    out: dict[KeyPath, tuple[int, int]],
    seen: set[int],
    dups: list[KeyPath],
) -> None:
    if id(node) in seen:
        return
    seen.add(id(node))
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            sub = (*path, str(k.value) if isinstance(k, yaml.ScalarNode) else "?")
            if sub in out:
                dups.append(sub)
            out[sub] = (k.start_mark.line + 1, k.start_mark.column + 1)
            _positions(v, sub, out, seen, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, i)
            out[sub] = (item.start_mark.line + 1, item.start_mark.column + 1)
            _positions(item, sub, out, seen, dups)


def _require_oumi_config(data: Any, display: str) -> dict[str, Any]:
    """A mapping with at least one of Oumi's top-level keys; anything else is not quoted back."""
    loc = Location(file=display, line=1, column=1)
    if not isinstance(data, dict):
        raise _fail(
            "config_not_mapping",
            f"This is not an Oumi config: its top level is a {type(data).__name__}, not a "
            "mapping of keys.",
            "Start the config with top-level keys such as `model:` and `training:`.",
            loc,
        )
    if not any(isinstance(k, str) and k in OUMI_TOP_LEVEL_KEYS for k in data):
        raise _fail(
            "not_oumi_config",
            f"This is not an Oumi config: none of its {len(data):,} top-level key(s) is one "
            "Oumi uses (model, data, training, tasks, resources...); its content is not shown.",
            "Pass an Oumi YAML config (search_configs finds recipes to start from).",
            loc,
        )
    return data


def parse_yaml(
    text: str, file: Path | None, client_cwd: Path
) -> tuple[LoadedConfig, list[Finding]]:
    """Parse with the guarded loader; refuse what is not an Oumi config; warn on duplicate keys."""
    display = short_path(file) if file else INLINE
    try:
        data, node = load_yaml(text)
    except YamlRefused as exc:
        raise _fail(
            exc.code, exc.message, exc.fix, Location(file=display, line=exc.line, column=exc.column)
        ) from None
    if node is None:
        raise _fail(
            "config_empty",
            "The config is empty.",
            "Write an Oumi YAML config.",
            Location(file=display),
        )
    data = _require_oumi_config(data, display)
    positions: dict[KeyPath, tuple[int, int]] = {}
    dups: list[KeyPath] = []
    _positions(node, (), positions, set(), dups)
    loaded = LoadedConfig(
        data=data,
        text=text,
        file=file,
        client_cwd=client_cwd,
        positions=positions,
        duplicates=dups,
    )
    warnings = [
        Finding(
            severity="warning",
            code="duplicate_key",
            message=f"Key `{shown_key(d)}` appears more than once; the last one wins.",
            fix="Keep a single occurrence.",
            location=loaded.location(d),
        )
        for d in dups[:MAX_DUPLICATE_WARNINGS]
    ]
    return loaded, warnings


def resolve_config_path(config: str, cwd: Path) -> Path:
    """`config` resolved against `cwd` by the workspace rules; its refusals as ConfigLoadError."""
    try:
        return resolve_in_workspace(config.strip(), str(cwd))
    except ServiceError as exc:
        raise _fail(
            exc.code, short(exc.message, 400), exc.fix, Location(file=short_path(config))
        ) from None


def parse_file_bytes(
    raw: bytes, path: Path, client_cwd: Path
) -> tuple[LoadedConfig, list[Finding]]:
    """A config file's bytes (from read_config_bytes) decoded and parsed."""
    return parse_yaml(_decode(raw, Location(file=short_path(path))), path, client_cwd)


def load_file(path: Path, client_cwd: Path) -> tuple[LoadedConfig, list[Finding]]:
    """Read (bounded) and parse a config file."""
    return parse_file_bytes(read_config_bytes(path), path, client_cwd)


def load_config(config: str, client_cwd: str) -> tuple[LoadedConfig, list[Finding]]:
    """Load `config` (a path, absolute or relative to `client_cwd`, or inline YAML).

    Raises ServiceError for a bad client_cwd (the caller's mistake) and ConfigLoadError for a
    config that cannot be read; reads nothing larger than MAX_CONFIG_BYTES and writes nothing.
    """
    cwd = require_client_cwd(client_cwd)
    if not config or not config.strip():
        raise _fail("config_empty", "No config given.", "Pass a config path or inline YAML.")
    if is_inline_yaml(config):
        if len(config.encode("utf-8", "surrogatepass")) > MAX_CONFIG_BYTES:
            raise _fail(
                "config_too_large",
                f"Inline YAML is over {MAX_CONFIG_BYTES:,} bytes.",
                "Pass a smaller config.",
                Location(file=INLINE),
            )
        if "\x00" in config:
            raise _fail(
                "config_binary",
                "Inline YAML holds NUL bytes.",
                "Pass YAML text.",
                Location(file=INLINE),
            )
        return parse_yaml(config, None, cwd)
    return load_file(resolve_config_path(config, cwd), cwd)
