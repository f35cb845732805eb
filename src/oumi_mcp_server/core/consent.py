"""Confirmation tokens: consent bound to one exact plan, that a model cannot make up.

Public API (shared by local launches, cluster launches, cancel, stop and down):

- `issue(purpose: str, plan: Mapping[str, Any], ttl_s: float = DEFAULT_TTL_S) -> Token`
- `verify(token: str | None, purpose: str, plan: Mapping[str, Any]) -> str` returns the token's
  digest (store it to make the token single-use); raises `ServiceError` with code
  `confirm_token_missing`, `confirm_token_malformed`, `confirm_token_expired` or
  `confirm_token_mismatch`.
- `canonical(plan) -> bytes`, `plan_digest(plan) -> str` (short sha256 for display).

A token is `v1.<expiry>.<nonce>.<mac>`, the MAC an HMAC-SHA256 over the purpose, the expiry, a
random nonce (two tokens for one plan differ, so each can be spent once) and the plan's canonical
JSON, keyed by a random secret kept in `<state_dir>/consent.key` (mode 0600,
created once, atomically). Any change to the plan, the purpose or the expiry invalidates it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.paths import state_dir

DEFAULT_TTL_S = 15 * 60
KEY_FILE = "consent.key"
_VERSION = "v1"


@dataclass(frozen=True)
class Token:
    token: str
    expires_at: float


def canonical(plan: Mapping[str, Any]) -> bytes:
    return json.dumps(
        plan, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str
    ).encode()


def plan_digest(plan: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(plan)).hexdigest()[:16]


def key_path() -> Path:
    return state_dir() / KEY_FILE


def _key() -> bytes:
    path = key_path()
    try:
        data = path.read_bytes()
        if len(data) >= 32:
            return data
    except FileNotFoundError:
        pass
    tmp = path.with_name(f".{KEY_FILE}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(secrets.token_bytes(32))
    try:
        os.link(tmp, path)  # atomic: the first writer wins, everyone reads the same key
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return path.read_bytes()


def _mac(purpose: str, expiry: int, nonce: str, plan: Mapping[str, Any]) -> str:
    msg = f"{_VERSION}\n{purpose}\n{expiry}\n{nonce}\n".encode() + canonical(plan)
    digest = hmac.new(_key(), msg, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def issue(purpose: str, plan: Mapping[str, Any], ttl_s: float = DEFAULT_TTL_S) -> Token:
    expiry = int(time.time() + ttl_s)
    nonce = secrets.token_hex(8)
    return Token(f"{_VERSION}.{expiry}.{nonce}.{_mac(purpose, expiry, nonce, plan)}", float(expiry))


def verify(token: str | None, purpose: str, plan: Mapping[str, Any]) -> str:
    fix = "Call again without confirm_token to get a fresh plan and token, show it to the user."
    if not token:
        raise ServiceError(
            "confirm_token_missing", "This action needs the user's confirmation.", fix
        )
    parts = token.split(".")
    if len(token) > 200 or len(parts) != 4 or parts[0] != _VERSION or not parts[1].isdecimal():
        raise ServiceError(
            "confirm_token_malformed", "The confirm_token is not one this server issued.", fix
        )
    expiry = int(parts[1])
    if not hmac.compare_digest(parts[3], _mac(purpose, expiry, parts[2], plan)):
        raise ServiceError(
            "confirm_token_mismatch",
            "The confirm_token does not match this plan: it was issued for different arguments, "
            "or the config changed since.",
            fix,
        )
    if expiry < time.time():
        raise ServiceError("confirm_token_expired", "The confirm_token has expired.", fix)
    return hashlib.sha256(token.encode()).hexdigest()
