"""Read a config given as a path or as inline YAML, safely: size limits, no binary, no alias bombs.

Keys keep their line and column so every finding can point at the line to change.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.workspace import require_client_cwd, resolve_in_workspace
from oumi_mcp_server.preflight.models import Finding, Location

MAX_CONFIG_BYTES = 1_000_000
MAX_EXPANDED_NODES = 200_000
MAX_DEPTH = 64
INLINE = "<inline>"
_INLINE_RE = re.compile(r"^\s*[\w.\-\"']+\s*:(\s|$)")

KeyPath = tuple[str | int, ...]


@dataclass
class LoadedConfig:
    """A parsed config: its mapping, where each key sits, and where it came from."""

    data: dict[str, Any]
    text: str
    file: Path | None
    client_cwd: Path
    positions: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    @property
    def display_file(self) -> str:
        return str(self.file) if self.file else INLINE

    def location(self, path: KeyPath) -> Location:
        """Location of `path`, or of its nearest ancestor that has one."""
        key = ".".join(str(p) for p in path) or None
        for end in range(len(path), 0, -1):
            pos = self.positions.get(path[:end])
            if pos:
                return Location(file=self.display_file, line=pos[0], column=pos[1], key=key)
        return Location(file=self.display_file, key=key)


class ConfigLoadError(Exception):
    """The config could not be read or parsed; `finding` says why and where."""

    def __init__(self, finding: Finding) -> None:
        super().__init__(finding.message)
        self.finding = finding


def _fail(code: str, message: str, fix: str, location: Location | None = None) -> ConfigLoadError:
    return ConfigLoadError(
        Finding(severity="error", code=code, message=message, fix=fix, location=location)
    )


def is_inline_yaml(config: str) -> bool:
    return "\n" in config or (
        bool(_INLINE_RE.match(config)) and not config.endswith((".yaml", ".yml"))
    )


def _read_file(path: Path) -> str:
    """Read a config file after checking its size, refusing binary content before parsing."""
    loc = Location(file=str(path))
    if not path.exists():
        raise _fail(
            "config_not_found",
            f"Config file {path} does not exist.",
            "Check the path; relative paths are resolved against client_cwd.",
            loc,
        )
    if not path.is_file():
        raise _fail("config_not_a_file", f"{path} is not a regular file.", "Pass a YAML file.", loc)
    size = path.stat().st_size
    if size > MAX_CONFIG_BYTES:
        raise _fail(
            "config_too_large",
            f"{path} is {size:,} bytes; configs are limited to {MAX_CONFIG_BYTES:,} bytes.",
            "Pass the Oumi YAML config, not a data file.",
            loc,
        )
    raw = path.read_bytes()[: MAX_CONFIG_BYTES + 1]
    return _decode(raw, loc)


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


def _expanded_size(node: yaml.Node, memo: dict[int, int], depth: int = 0) -> int:
    """Node count after alias expansion, computed without expanding (alias-bomb guard)."""
    if depth > MAX_DEPTH:
        raise RecursionError
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = MAX_EXPANDED_NODES + 1  # a cycle counts as too big
    total = 1
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += _expanded_size(k, memo, depth + 1) + _expanded_size(v, memo, depth + 1)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            total += _expanded_size(item, memo, depth + 1)
    memo[key] = min(total, MAX_EXPANDED_NODES + 1)
    return memo[key]


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
            sub = (*path, str(k.value))
            if sub in out:
                dups.append(sub)
            out[sub] = (k.start_mark.line + 1, k.start_mark.column + 1)
            _positions(v, sub, out, seen, dups)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            sub = (*path, i)
            out[sub] = (item.start_mark.line + 1, item.start_mark.column + 1)
            _positions(item, sub, out, seen, dups)


def parse_yaml(
    text: str, file: Path | None, client_cwd: Path
) -> tuple[LoadedConfig, list[Finding]]:
    """Safe-parse YAML text; the extra findings are warnings (duplicate keys)."""
    display = str(file) if file else INLINE
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            raise _fail(
                "config_empty",
                "The config is empty.",
                "Write an Oumi YAML config.",
                Location(file=display),
            )
        if _expanded_size(node, {}) > MAX_EXPANDED_NODES:
            raise _fail(
                "yaml_alias_bomb",
                "The YAML expands to more than "
                f"{MAX_EXPANDED_NODES:,} nodes through anchors and aliases; refused.",
                "Remove the nested aliases (*name) or write the values out.",
                Location(file=display),
            )
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(
            file=display,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        )
        problem = exc.problem or "invalid YAML"
        raise _fail(
            "yaml_syntax",
            f"YAML syntax error: {problem}" + (f" ({exc.context})" if exc.context else ""),
            "Fix the YAML at the given line and column (indentation, quotes, ':').",
            loc,
        ) from None
    except yaml.YAMLError as exc:
        raise _fail(
            "yaml_syntax", f"YAML error: {exc}", "Fix the YAML.", Location(file=display)
        ) from None
    except RecursionError:
        raise _fail(
            "yaml_too_deep",
            f"The YAML nests deeper than {MAX_DEPTH} levels.",
            "Flatten the config.",
            Location(file=display),
        ) from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise _fail(
            "config_not_mapping",
            f"The config's top level is a {type(data).__name__}, not a mapping of keys.",
            "Start the config with top-level keys such as `model:` and `training:`.",
            Location(file=display, line=1, column=1),
        )
    positions: dict[KeyPath, tuple[int, int]] = {}
    dups: list[KeyPath] = []
    _positions(node, (), positions, set(), dups)
    loaded = LoadedConfig(
        data=data, text=text, file=file, client_cwd=client_cwd, positions=positions
    )
    warnings = [
        Finding(
            severity="warning",
            code="duplicate_key",
            message=f"Key `{'.'.join(map(str, d))}` appears more than once; the last one wins.",
            fix="Keep a single occurrence.",
            location=loaded.location(d),
        )
        for d in dups
    ]
    return loaded, warnings


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
    try:
        path = resolve_in_workspace(config.strip(), str(cwd))
    except ServiceError as exc:
        raise _fail(exc.code, exc.message, exc.fix, Location(file=config)) from None
    return parse_yaml(_read_file(path), path, cwd)
