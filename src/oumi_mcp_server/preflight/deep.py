"""oumi's own verdict: the config built by oumi's classes, as its CLI builds it, then
`finalize_and_validate()` (imports oumi: only once preflight.warmup says it is loaded).

Keys the index check already refused are dropped first, so each problem is said once. Relative
paths are made absolute against the client's folder (oumi would check them against the server's
cwd) and adapter look-ups stay local (oumi would otherwise query, and cache into, the HF hub):
see _install_local_hub_lookups.
"""

from __future__ import annotations

import copy
import functools
import importlib
import re
import threading
import time
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.echo import KEY_CHARS, short, short_path
from oumi_mcp_server.core.redact import redact_text
from oumi_mcp_server.core.safe_read import path_exists
from oumi_mcp_server.preflight.context import PATH_KEY_SUFFIXES, get, looks_local
from oumi_mcp_server.preflight.loading import KeyPath, LoadedConfig
from oumi_mcp_server.preflight.models import Finding

_MODEL_PATH_KEYS = frozenset({"model_name", "tokenizer_name", "adapter_model"})
_MAX_TYPE_ERRORS = 8
_BUILD_BUDGET_S = 20.0  # retries after a type error stop here (each merge re-walks the config)
_MESSAGE_CHARS = 300
_local_only = threading.local()
_install_lock = threading.Lock()


def real_class(qualname: str) -> Any:
    module, _, name = qualname.rpartition(".")
    return getattr(importlib.import_module(module), name)


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


def _build(
    cls: Any, data: dict[str, Any], loaded: LoadedConfig, out: list[Finding], said: set[KeyPath]
) -> Any:
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
            if path not in said:
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
            out.append(semantic(exc, loaded))
            return None
    return None


def semantic(exc: BaseException, loaded: LoadedConfig, *, remote: bool | None = None) -> Finding:
    """oumi's refusal as a finding at the key its message names."""
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
        return Finding(  # oumi refuses it on this machine; a remote target is judged apart
            severity="info" if remote else "error",
            code="hardware_unsupported_locally",
            message=f"oumi refuses this on this machine: {msg}",
            location=loc,
            fix="To run here, change the setting (e.g. attn_implementation: sdpa); for a GPU "
            "target, pre_flight_check with its cloud judges it there.",
        )
    return Finding(
        severity="error",
        code="config_invalid",
        message=msg,
        location=loc,
        fix="Change the value the message names; oumi refuses it at launch.",
    )


def check_omegaconf(
    loaded: LoadedConfig,
    qualname: str,
    dropped: list[KeyPath],
    finalize: bool,
    *,
    remote: bool | None,
) -> tuple[list[Finding], Any]:
    """Findings of oumi's loader (keys in `dropped` removed first) and the built config."""
    with _install_lock:
        _install_local_hub_lookups()
    data = copy.deepcopy(loaded.data)
    for path in sorted(set(dropped), key=len, reverse=True):
        try:
            _delete(data, path)
        except (KeyError, IndexError, TypeError):
            continue
    data = absolutize(data, loaded.client_cwd)
    out: list[Finding] = []
    obj = _build(real_class(qualname), data, loaded, out, set(dropped))
    if obj is None or not finalize:
        return out, obj
    _local_only.on = True
    try:
        obj.finalize_and_validate()
    except Exception as exc:
        out.append(semantic(exc, loaded, remote=remote))
    finally:
        _local_only.on = False
    return out, obj


def check_analyze(loaded: LoadedConfig, qualname: str) -> list[Finding]:
    """`TypedAnalyzeConfig.from_dict`, as `oumi analyze -c` runs it (custom code refused)."""
    try:
        real_class(qualname).from_dict(copy.deepcopy(loaded.data), allow_custom_code=False)
    except Exception as exc:
        return [semantic(exc, loaded)]
    return []
