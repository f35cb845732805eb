"""lm_harness tasks read their data from the Hugging Face Hub: offline, that only works if the
data is already in the local caches. The task's dataset is read from lm_eval's own task YAML
(found by name, includes followed); a task we cannot resolve is assumed to need the Hub."""

from __future__ import annotations

import functools
import importlib.util
import os
import threading
from pathlib import Path
from typing import Any

import yaml

from oumi_mcp_server.core.echo import short
from oumi_mcp_server.preflight import hf_cache, hub
from oumi_mcp_server.preflight.context import CheckContext, SkipCheck, get
from oumi_mcp_server.preflight.models import Finding

MAX_LEAVES = 80  # tasks of a group followed before giving up on naming its datasets
MAX_TASK_FILE_BYTES = 256_000
_BUILTIN_LOADERS = frozenset({"json", "csv", "parquet", "text", "arrow", "pandas", "webdataset"})
_lock = threading.Lock()


class _TaskLoader(yaml.SafeLoader):
    """lm_eval's YAML: `!function module.fn` and other custom tags read as None."""


_TaskLoader.add_multi_constructor("!", lambda loader, suffix, node: None)


@functools.cache
def _tasks_root() -> Path | None:
    spec = importlib.util.find_spec("lm_eval")
    locations = list(spec.submodule_search_locations or []) if spec else []
    root = Path(locations[0]) / "tasks" if locations else None
    return root if root and root.is_dir() else None


@functools.cache
def _stems() -> dict[str, list[Path]]:
    """Task YAML files by file name (without .yaml, leading `_` dropped)."""
    root = _tasks_root()
    out: dict[str, list[Path]] = {}
    for folder, _dirs, files in os.walk(root) if root else []:
        for name in files:
            if name.endswith(".yaml"):
                out.setdefault(name[:-5].lstrip("_"), []).append(Path(folder) / name)
    return out


def _read(path: Path, depth: int = 0) -> dict[str, Any]:
    """A task YAML with its `include:` chain merged under it."""
    try:
        if path.stat().st_size > MAX_TASK_FILE_BYTES:
            return {}
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_TaskLoader)  # noqa: S506
    except (OSError, yaml.YAMLError, UnicodeDecodeError):
        return {}
    if not isinstance(data, dict):
        return {}
    include = data.get("include")
    if isinstance(include, str) and depth < 5:
        return {**_read(path.parent / include, depth + 1), **data}
    return data


def task_datasets(name: str, depth: int = 0) -> set[str] | None:
    """The Hub datasets an lm_harness task (or group) reads; None when we cannot tell."""
    if depth > 4:
        return None
    with _lock:
        candidates = _stems().get(name, [])
    for path in candidates:
        data = _read(path)
        if data.get("task") == name or data.get("group") == name:
            if isinstance(data.get("dataset_path"), str):
                return {data["dataset_path"]}
            members = data.get("task")
            if isinstance(members, list) and 0 < len(members) <= MAX_LEAVES:
                found: set[str] = set()
                for member in members:
                    sub = task_datasets(member, depth + 1) if isinstance(member, str) else None
                    if sub is None:
                        return None
                    found |= sub
                return found
    return None


def _needs_hub(dataset: str) -> bool:
    return dataset not in _BUILTIN_LOADERS and not Path(dataset).expanduser().exists()


def check_eval_data(ctx: CheckContext) -> list[Finding]:
    tasks = get(ctx.data, "tasks")
    harness = [
        (i, str(t.get("task_name") or ""))
        for i, t in enumerate(tasks if isinstance(tasks, list) else [])
        if isinstance(t, dict) and str(t.get("evaluation_backend", "")).lower() == "lm_harness"
    ]
    if ctx.task_type != "evaluation" or not harness:
        raise SkipCheck("no lm_harness tasks")
    if ctx.remote:
        raise SkipCheck(f"the data is downloaded on {ctx.cloud}")
    offline = hub.offline_reason()
    if offline is None:
        raise SkipCheck("the Hub is reachable: lm_harness downloads the data at start")
    out: list[Finding] = []
    for i, name in harness:
        datasets = task_datasets(name) if name else None
        missing = None if datasets is None else sorted(d for d in datasets if _needs_hub(d))
        if missing is not None and not [d for d in missing if not hf_cache.dataset_cached(d)]:
            continue  # everything it reads is cached here
        what = (
            f"its data ({', '.join(short(d, 60) for d in missing[:3])})"
            if missing
            else "data we could not name"
        )
        out.append(
            ctx.finding(
                "error",
                "eval_data_needs_hub",
                f"lm_harness task `{short(name, 60)}` downloads {what} from the Hugging Face Hub, "
                f"which is unreachable here ({offline}): the evaluation would fail at start.",
                "Run it once with the Hub reachable (the data is then cached and reused "
                "offline), or evaluate on a remote target.",
                ("tasks", i, "task_name"),
            )
        )
    return out
