"""A launch's `--section.key value` overrides applied to the loaded config, so pre-flight checks
what will run (an evaluate of a trained run passes `model.model_name`; the file names another).
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Mapping
from typing import Any

import yaml

from oumi_mcp_server.preflight.loading import LoadedConfig

Scalar = str | int | float | bool | None


def _value(raw: Scalar) -> Any:
    """A string reads as the CLI reads it (YAML: "10" is 10, "null" is None)."""
    if not isinstance(raw, str):
        return raw
    try:
        return yaml.safe_load(raw)
    except yaml.YAMLError:
        return raw


def with_overrides(loaded: LoadedConfig, overrides: Mapping[str, Scalar] | None) -> LoadedConfig:
    """A copy of `loaded` whose data has every override set (keys made of `a.b.0.c` parts);
    positions stay those of the file, so a finding on an overridden key points at its line."""
    if not overrides:
        return loaded
    data = copy.deepcopy(loaded.data)
    for key, raw in overrides.items():
        parts = (key[2:] if key.startswith("--") else key).split(".")
        node: Any = data
        for i, part in enumerate(parts):
            last = i == len(parts) - 1
            if isinstance(node, list) and part.isdigit() and int(part) < len(node):
                if last:
                    node[int(part)] = _value(raw)
                else:
                    node = node[int(part)]
                continue
            if not isinstance(node, dict):
                break  # oumi refuses such an override itself; pre-flight keeps the file's value
            if last:
                node[part] = _value(raw)
            else:
                node = node.setdefault(part, {})
    return dataclasses.replace(loaded, data=data)
