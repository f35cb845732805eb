"""Hugging Face Hub probes: short timeouts, offline-safe, and the token is never shown.

Called only from checks, which the runner runs in worker threads with their own time bound:
nothing here ever runs on the event loop.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlparse

from oumi_mcp_server.core.redact import redact_text
from oumi_mcp_server.preflight.context import CheckContext, SkipCheck
from oumi_mcp_server.preflight.loading import KeyPath
from oumi_mcp_server.preflight.models import Finding

HUB_TIMEOUT_S = 5.0
CONNECT_TIMEOUT_S = 2.0
_ONLINE_TTL_S = 60.0
_online_cache: dict[str, tuple[float, str | None]] = {}
_lock = threading.Lock()

Access = Literal["ok", "gated", "not_found", "unknown"]


@dataclass
class RepoStatus:
    access: Access
    detail: str = ""


def endpoint() -> str:
    return os.environ.get("HF_ENDPOINT") or "https://huggingface.co"


def _truthy(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def offline_reason() -> str | None:
    """None when the hub looks reachable, else why not (env flag, or no TCP connection)."""
    if _truthy("HF_HUB_OFFLINE") or _truthy("TRANSFORMERS_OFFLINE"):
        return "offline (HF_HUB_OFFLINE is set)"
    url = urlparse(endpoint())
    host = url.hostname or "huggingface.co"
    port = url.port or (443 if url.scheme == "https" else 80)
    key = f"{host}:{port}"
    with _lock:
        cached = _online_cache.get(key)
        if cached and time.monotonic() - cached[0] < _ONLINE_TTL_S:
            return cached[1]
    try:
        with socket.create_connection((host, port), timeout=CONNECT_TIMEOUT_S):
            reason = None
    except OSError as exc:
        reason = f"offline ({key} unreachable: {type(exc).__name__})"
    with _lock:
        _online_cache[key] = (time.monotonic(), reason)
    return reason


def require_online() -> None:
    reason = offline_reason()
    if reason:
        raise SkipCheck(reason)


def _auth_check(repo_id: str, repo_type: str) -> None:
    """HfApi.auth_check with a timeout (it has none): raises GatedRepoError without access."""
    from huggingface_hub import get_session, hf_raise_for_status
    from huggingface_hub.utils._headers import build_hf_headers

    url = f"{endpoint().rstrip('/')}/api/{repo_type}s/{repo_id}/auth-check"
    response = get_session().get(url, headers=build_hf_headers(), timeout=HUB_TIMEOUT_S)
    hf_raise_for_status(response)


def repo_status(repo_id: str, repo_type: Literal["model", "dataset"]) -> RepoStatus:
    """Does the repo exist, and may the user's token read it? (one or two bounded requests)."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import (
        GatedRepoError,
        HFValidationError,
        RepositoryNotFoundError,
    )

    api = HfApi(endpoint=endpoint())
    try:
        info: Any = (
            api.model_info(repo_id, timeout=HUB_TIMEOUT_S)
            if repo_type == "model"
            else api.dataset_info(repo_id, timeout=HUB_TIMEOUT_S)
        )
        if getattr(info, "gated", False):
            _auth_check(repo_id, repo_type)
        return RepoStatus("ok")
    except GatedRepoError:
        return RepoStatus("gated")
    except (RepositoryNotFoundError, HFValidationError):
        return RepoStatus("not_found")
    except Exception as exc:  # timeouts, HTTP errors: unknown, never blocking
        return RepoStatus("unknown", redact_text(f"{type(exc).__name__}: {exc}")[:200])


def access_finding(
    ctx: CheckContext,
    kind: Literal["model", "dataset"],
    repo: str,
    status: RepoStatus,
    gated: tuple[str, str],
    path: KeyPath | None = None,
) -> Finding | None:
    """The finding for a repo the hub did not vouch for (`gated`: message, fix); None if ok."""
    if status.access == "not_found":
        return ctx.finding(
            "error",
            f"{kind}_not_on_hub",
            f"{kind.capitalize()} `{repo}` was not found on the hub (or is private).",
            "Check the id, or log in with a token that can read it.",
            path,
        )
    if status.access == "gated":
        return ctx.finding("error", f"{kind}_gated", *gated, path)
    if status.access == "unknown":
        return ctx.finding(
            "info",
            f"{kind}_hub_unknown",
            f"Could not check `{repo}`: {status.detail}.",
            "Retry when the hub is reachable.",
            path,
        )
    return None
