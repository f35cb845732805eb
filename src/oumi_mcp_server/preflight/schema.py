"""Strict validation with oumi's own config classes, plus what OmegaConf's first error hides.

We walk the YAML against the dataclass schema ourselves so that every unknown key is reported
(with the nearest valid key), then let OmegaConf and `finalize_and_validate()` judge types and
semantics. `finalize_and_validate()` is run with relative paths made absolute against the
client's folder (oumi would check them against the server's cwd) and with adapter look-ups kept
local (oumi would otherwise query, and cache into, the HF hub): see _install_local_hub_lookups.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import functools
import re
import threading
import time
import types
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.echo import KEY_CHARS, short, short_path
from oumi_mcp_server.core.redact import redact_text
from oumi_mcp_server.core.safe_read import path_exists
from oumi_mcp_server.preflight.context import PATH_KEY_SUFFIXES, get, looks_local
from oumi_mcp_server.preflight.loading import KeyPath, LoadedConfig, shown_key
from oumi_mcp_server.preflight.models import TASK_TYPES, Finding
from oumi_mcp_server.preflight.tasks import best_fit, config_class, field_types, infer_task_type

_MODEL_PATH_KEYS = frozenset({"model_name", "tokenizer_name", "adapter_model"})
_MAX_TYPE_ERRORS = 8
MAX_UNKNOWN_KEYS = 50  # then one summary finding: a config this far off is not worth more
_BUILD_BUDGET_S = 20.0  # retries after a type error stop here (each merge re-walks the config)
_MESSAGE_CHARS = 300
_local_only = threading.local()


@dataclass
class SchemaResult:
    task_type: str | None
    inferred: bool
    findings: list[Finding] = field(default_factory=list)
    config: Any = None


def _unwrap(tp: Any) -> Any:
    """Optional[X] -> X; a Union with one dataclass -> that dataclass; else unchanged."""
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        classes = [a for a in args if dataclasses.is_dataclass(a) or typing.get_origin(a) is list]
        if len(args) == 1:
            return _unwrap(args[0])
        if len(classes) == 1:
            return _unwrap(classes[0])
    return tp


def _walk(
    value: Any,
    tp: Any,
    path: KeyPath,
    loaded: LoadedConfig,
    out: list[Finding],
    unknown: list[KeyPath],
) -> None:
    tp = _unwrap(tp)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp) and isinstance(value, dict):
        hints = field_types(tp)
        for key, sub in value.items():
            name = str(key)
            sub_path = (*path, name)
            if name in hints:
                _walk(sub, hints[name], sub_path, loaded, out, unknown)
                continue
            unknown.append(sub_path)
            if len(unknown) > MAX_UNKNOWN_KEYS:
                continue
            near = difflib.get_close_matches(name[:64], list(hints), n=1, cutoff=0.6)
            where = shown_key(path) or "the top level"
            out.append(
                Finding(
                    severity="error",
                    code="unknown_key",
                    message=f"Unknown key `{short(name)}` in {where} ({tp.__name__})."
                    + (f" Did you mean `{near[0]}`?" if near else ""),
                    fix=f"Rename it to `{near[0]}`."
                    if near
                    else f"Remove it; valid keys: {', '.join(sorted(hints))[:150]}.",
                    location=loaded.location(sub_path),
                )
            )
    elif typing.get_origin(tp) is list and isinstance(value, list):
        args = typing.get_args(tp)
        for i, item in enumerate(value):
            _walk(item, args[0] if args else Any, (*path, i), loaded, out, unknown)


def _delete(data: Any, path: KeyPath) -> None:
    node = data
    for part in path[:-1]:
        node = node[part]
    del node[path[-1]]


def _escape(value: Any) -> Any:
    """Keep `${...}` literal, as oumi's loader does."""
    if isinstance(value, str):
        return re.sub(r"(?<!\\)\$\{", "\\${", value)
    if isinstance(value, dict):
        return {k: _escape(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_escape(v) for v in value]
    return value


def absolutize(value: Any, cwd: Path, key: str = "") -> Any:
    """Relative paths made absolute against the client's folder (oumi would use our cwd)."""
    if isinstance(value, dict):
        return {k: absolutize(v, cwd, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [absolutize(v, cwd, key) for v in value]
    if not isinstance(value, str) or not value or "://" in value or "\x00" in value:
        return value
    try:
        p = Path(value).expanduser()
    except RuntimeError:  # `~name/...` of a user this machine does not know
        return value
    if p.is_absolute():
        return value
    if key.endswith(PATH_KEY_SUFFIXES) or (
        key in _MODEL_PATH_KEYS and (looks_local(value) or path_exists(cwd / p))
    ):
        return str(cwd / p)
    return value


def _key_path(full_key: str, loaded: LoadedConfig) -> KeyPath | None:
    parts: list[str | int] = []
    for token in re.findall(r"[^.\[\]]+|\[\d+\]", full_key):
        parts.append(int(token[1:-1]) if token.startswith("[") else token)
    path = tuple(parts)
    if not path:
        return None
    if path in loaded.positions:
        return path
    tails = [p for p in loaded.positions if p[-len(path) :] == path]
    return tails[0] if tails else path


@functools.cache
def _structured(cls: Any) -> Any:
    from omegaconf import OmegaConf

    return OmegaConf.structured(cls)


def _install_local_hub_lookups() -> None:
    """Inside validation threads, oumi's hub look-ups stay local (no request, no cache write).

    `finalize_and_validate()` looks for a LoRA adapter of `model_name` and, with `text_only`,
    loads the model's HF config: both would query the hub. A config that is not cached reads
    as "no adapter" / an empty config, which is what an offline run would see.
    """
    from oumi.core.configs.internal import supported_models
    from oumi.core.configs.params import model_params

    adapter_lookup = model_params.find_adapter_config_file
    if getattr(adapter_lookup, "_oumi_mcp_local", False):
        return
    config_lookup = supported_models.find_model_hf_config

    def find_adapter_config_file(model_id: str, *args: Any, **kwargs: Any) -> Any:
        if getattr(_local_only, "on", False):
            kwargs["local_files_only"] = True
        return adapter_lookup(model_id, *args, **kwargs)

    def find_model_hf_config(model_name: str, **kwargs: Any) -> Any:
        if not getattr(_local_only, "on", False):
            return config_lookup(model_name, **kwargs)
        try:
            return config_lookup(model_name, local_files_only=True, **kwargs)
        except OSError:
            import transformers

            return transformers.PretrainedConfig()

    find_adapter_config_file._oumi_mcp_local = True  # type: ignore[attr-defined]
    model_params.find_adapter_config_file = find_adapter_config_file
    supported_models.find_model_hf_config = find_model_hf_config


_install_lock = threading.Lock()


def _build(cls: Any, data: dict[str, Any], loaded: LoadedConfig, out: list[Finding]) -> Any:
    """OmegaConf merge; each type error is recorded and its key dropped, then we retry."""
    from omegaconf import OmegaConf
    from omegaconf.errors import OmegaConfBaseException

    deadline = time.monotonic() + _BUILD_BUDGET_S
    for _ in range(_MAX_TYPE_ERRORS):
        if time.monotonic() > deadline:
            return None
        try:
            merged = OmegaConf.merge(_structured(cls), OmegaConf.create(_escape(data)))
            return OmegaConf.to_object(merged)
        except OmegaConfBaseException as exc:
            full_key = str(getattr(exc, "full_key", "") or "")
            path = _key_path(full_key, loaded)
            msg = (str(getattr(exc, "msg", "") or exc).splitlines() or [type(exc).__name__])[0]
            out.append(
                Finding(
                    severity="error",
                    code="invalid_value",
                    message=f"`{short(full_key, 2 * KEY_CHARS) or '(top level)'}`: "
                    f"{short(redact_text(msg), _MESSAGE_CHARS)}",
                    fix="Use a value of the type the field expects (see the message).",
                    location=loaded.location(path) if path else loaded.location(()),
                )
            )
            try:
                if not path:
                    return None
                _delete(data, path)
            except (KeyError, IndexError, TypeError):
                return None
        except Exception as exc:  # __post_init__ checks raise plain errors
            out.append(_semantic(exc, loaded))
            return None
    return None


def _semantic(exc: BaseException, loaded: LoadedConfig, *, remote: bool | None = None) -> Finding:
    from oumi.exceptions import HardwareException

    text = str(exc).strip()
    msg = short(redact_text(text.splitlines()[0] if text else type(exc).__name__), _MESSAGE_CHARS)
    loc = loaded.location(())
    for token in re.findall(r"`?(\w+)`?", msg):
        hits = [p for p in loaded.positions if p and p[-1] == token]
        if hits:
            loc = loaded.location(hits[0])
            break
    missing = re.search(r"dataset_path '(.*)' does not exist", msg)
    if missing:
        hits = [
            p
            for p in loaded.positions
            if p
            and p[-1] == "dataset_path"
            and str(loaded.client_cwd / str(get(loaded.data, *p)))
            in (missing.group(1), str(get(loaded.data, *p)))
        ]
        hits = hits or [p for p in loaded.positions if p and p[-1] == "dataset_path"]
        return Finding(
            severity="error",
            code="dataset_not_found",
            message=f"dataset_path {short_path(missing.group(1))} does not exist.",
            fix="Create the file or fix the path (relative to client_cwd).",
            location=loaded.location(hits[0]) if hits else loc,
        )
    if isinstance(exc, HardwareException):
        return Finding(
            severity="error" if remote is False else ("info" if remote else "warning"),
            code="hardware_unsupported_locally",
            message=msg,
            location=loc,
            fix="Fine on a remote GPU target; to run here, change the setting (e.g. "
            "attn_implementation: sdpa).",
        )
    return Finding(
        severity="error",
        code="config_invalid",
        message=msg,
        location=loc,
        fix="Change the value the message names; oumi refuses it at launch.",
    )


def validate_schema(
    loaded: LoadedConfig, task_type: str | None = None, *, remote: bool | None = None
) -> SchemaResult:
    """Validate `loaded` with oumi's classes (imports oumi: call off the event loop)."""
    inferred = task_type is None
    reason = ""
    if task_type is None:
        task_type, reason = infer_task_type(loaded.data)
    with _install_lock:
        _install_local_hub_lookups()
    if task_type is None:
        task_type = best_fit(loaded.data)
        reason = "the closest set of top-level keys"
    if task_type is None:
        return SchemaResult(
            None,
            True,
            [
                Finding(
                    severity="error",
                    code="unknown_task_type",
                    message="Cannot tell what kind of Oumi config this is from its top-level keys "
                    f"({', '.join(short(k, 24) for k in list(loaded.data)[:8])}).",
                    fix=f"Pass task_type (one of {', '.join(TASK_TYPES)}).",
                    location=loaded.location(()),
                )
            ],
        )
    result = SchemaResult(task_type, inferred)
    if inferred:
        result.findings.append(
            Finding(
                severity="info",
                code="task_type_inferred",
                message=f"Validated as a {task_type} config (from {reason}).",
                fix="Pass task_type to validate it as another kind.",
            )
        )
    cls = config_class(task_type, loaded.data)
    unknown: list[KeyPath] = []
    _walk(loaded.data, cls, (), loaded, result.findings, unknown)
    if len(unknown) > MAX_UNKNOWN_KEYS:
        result.findings.append(
            Finding(
                severity="error",
                code="unknown_key",
                message=f"{len(unknown) - MAX_UNKNOWN_KEYS:,} more unknown key(s) not listed; "
                "types and values were not checked.",
                fix=f"Is this a {task_type} config? Fix the keys listed, then validate again.",
            )
        )
        return result
    data = copy.deepcopy(loaded.data)
    for path in unknown:
        _delete(data, path)
    data = absolutize(data, loaded.client_cwd)
    obj = _build(cls, data, loaded, result.findings)
    if obj is None:
        return result
    _local_only.on = True
    try:
        obj.finalize_and_validate()
    except Exception as exc:
        result.findings.append(_semantic(exc, loaded, remote=remote))
    finally:
        _local_only.on = False
    result.config = obj
    return result
