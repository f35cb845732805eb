"""What every check gets: the loaded config, the client's folder, the target, and helpers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.preflight.loading import KeyPath, LoadedConfig
from oumi_mcp_server.preflight.models import Finding, Location, MemoryEstimate, Severity

# Oumi launcher targets that are not SkyPilot clouds: never judged by `sky check`.
NON_SKY_TARGETS = frozenset({"local", "slurm", "polaris", "frontier", "perlmutter", "modal"})
PATH_KEY_SUFFIXES = ("_path", "_dir", "_file", "_folder")
"""A config key ending so holds a filesystem path."""
OUTPUT_KEYS = frozenset(
    {"output_dir", "output_path", "progress_path", "logging_dir", "telemetry_dir", "save_dir"}
)


class SkipCheck(Exception):
    """Raised by a check that cannot run here; the reason is shown in `checks_skipped`."""


@dataclass
class CheckContext:
    loaded: LoadedConfig
    task_type: str | None
    cloud: str | None
    config: Any = None  # the oumi config object when it validated
    memory: MemoryEstimate | None = None  # set by the hardware check

    @property
    def data(self) -> dict[str, Any]:
        return self.loaded.data

    @property
    def cwd(self) -> Path:
        return self.loaded.client_cwd

    @property
    def remote(self) -> bool:
        return bool(self.cloud) and self.cloud != "local"

    def finding(
        self,
        severity: Severity,
        code: str,
        message: str,
        fix: str = "",
        path: KeyPath | None = None,
        location: Location | None = None,
    ) -> Finding:
        if location is None and path is not None:
            location = self.loaded.location(path)
        return Finding(severity=severity, code=code, message=message, fix=fix, location=location)

    def resolve(self, value: str) -> Path:
        """A config path as the job will see it when run from the client's folder."""
        p = Path(os.path.expandvars(value)).expanduser()
        return p if p.is_absolute() else self.cwd / p


def get(data: Any, *keys: str | int) -> Any:
    for key in keys:
        if isinstance(data, dict):
            data = data.get(key)
        elif isinstance(data, list) and isinstance(key, int) and -len(data) <= key < len(data):
            data = data[key]
        else:
            return None
    return data


def dataset_entries(data: dict[str, Any]) -> Iterator[tuple[KeyPath, dict[str, Any]]]:
    """Each dataset of a training/tuning config (data.<split>.datasets[i]) with its key path."""
    for split in ("train", "validation", "test"):
        items = get(data, "data", split, "datasets")
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    yield ("data", split, "datasets", i), item


def walk_strings(value: Any, path: KeyPath = ()) -> Iterator[tuple[KeyPath, str]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk_strings(v, (*path, str(k)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk_strings(v, (*path, i))
    elif isinstance(value, str):
        yield path, value


def is_uri(value: str) -> bool:
    return "://" in value or value.startswith(("gs:", "s3:", "hf:", "oumi:"))


def looks_local(value: str) -> bool:
    """Written as a filesystem path rather than a hub id."""
    return value.startswith(("/", "./", "../", "~")) or value in (".", "..") or "\\" in value
