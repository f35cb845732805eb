"""The module `OUMI_EXTRA_DEPS_FILE` names: oumi imports it by file path (as the top-level module
`oumi_mcp_server_evals`) when its registry first loads, in every local job this server starts.

It registers the offline evaluation functions and nothing else, and imports only oumi's registry
while doing so, so a job whose Python lacks this package (or a train job) never fails on it. The
function bodies live in `oumi_mcp_server.evaluation.runners`, imported when a task runs. oumi
passes the eval_kwargs by name and requires every one (it has no optional kwargs): the row bound
is the task's `num_samples`.
"""

from __future__ import annotations

import importlib
import sys
from types import ModuleType
from typing import Any

RUNNERS = "oumi_mcp_server.evaluation.runners"


def _runners() -> ModuleType:
    try:
        return importlib.import_module(RUNNERS)
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("oumi_mcp_server"):
            raise
        raise ModuleNotFoundError(
            f"The offline evaluation functions need oumi-mcp-server in the Python running oumi "
            f"({sys.executable}). Install it there, or run the oumi that sits beside the server."
        ) from exc


def heldout_loss(config: Any, task_params: Any, data_path: str) -> dict[str, Any]:
    """Held-out loss and perplexity of the model on a chat JSONL (the training format)."""
    result: dict[str, Any] = _runners().heldout_loss(config, task_params, data_path)
    return result


def prompt_suite(
    config: Any, task_params: Any, inference_engine: Any, suite_path: str
) -> dict[str, Any]:
    """Accuracy (overall, per category) of the model's answers on a prompt-suite JSONL."""
    result: dict[str, Any] = _runners().prompt_suite(
        config, task_params, inference_engine, suite_path
    )
    return result


FUNCTIONS = {"heldout_loss": heldout_loss, "prompt_suite": prompt_suite}


def _register() -> None:
    """Add each function to oumi's registry once (a second import of this file is a no-op)."""
    from oumi.core.registry import REGISTRY, RegistryType

    for name, fn in FUNCTIONS.items():
        if not REGISTRY.contains(name, RegistryType.EVALUATION_FUNCTION):
            REGISTRY.register(name, RegistryType.EVALUATION_FUNCTION, fn)


_register()
