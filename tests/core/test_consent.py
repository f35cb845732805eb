"""Consent tokens: bound to one plan and purpose, expiring, keyed by a private secret."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time

import pytest

from oumi_mcp_server.core import consent
from oumi_mcp_server.core.errors import ServiceError

PLAN = {"argv": ["oumi", "train", "-c", "a.yaml"], "cwd": "/p", "env_sha256": "x"}


def _code(token: str | None, purpose: str = "launch", plan: dict[str, object] = PLAN) -> str:
    with pytest.raises(ServiceError) as err:
        consent.verify(token, purpose, plan)
    return err.value.code


def test_roundtrip_and_key_file_is_private() -> None:
    tok = consent.issue("launch", PLAN)
    digest = consent.verify(tok.token, "launch", dict(reversed(list(PLAN.items()))))  # order-free
    assert len(digest) == 64 and tok.expires_at > time.time()
    mode = stat.S_IMODE(os.stat(consent.key_path()).st_mode)
    assert mode == 0o600


def test_any_change_invalidates() -> None:
    tok = consent.issue("launch", PLAN).token
    assert _code(tok, plan={**PLAN, "cwd": "/q"}) == "confirm_token_mismatch"
    assert (
        _code(tok, plan={**PLAN, "argv": [*PLAN["argv"], "--x", "1"]}) == "confirm_token_mismatch"
    )  # type: ignore[list-item]
    assert _code(tok, purpose="cancel") == "confirm_token_mismatch"
    head, expiry, nonce, mac = tok.split(".")
    assert _code(f"{head}.{int(expiry) + 3600}.{nonce}.{mac}") == "confirm_token_mismatch"
    assert _code(f"{head}.{expiry}.{nonce}0.{mac}") == "confirm_token_mismatch"
    assert consent.issue("launch", PLAN).token != tok  # each token is distinct (spent once)


def test_missing_malformed_expired() -> None:
    assert _code(None) == "confirm_token_missing"
    assert _code("") == "confirm_token_missing"
    for bad in ("yes", "true", "v1.abc.def", "v2.1.x", "v1.1", "x" * 5000):
        assert _code(bad) == "confirm_token_malformed"
    old = consent.issue("launch", PLAN, ttl_s=-5).token
    assert _code(old) == "confirm_token_expired"


def test_a_new_secret_voids_old_tokens() -> None:
    tok = consent.issue("launch", PLAN).token
    consent.key_path().unlink()
    assert _code(tok) == "confirm_token_mismatch"


def test_processes_share_one_secret() -> None:
    code = (
        "from oumi_mcp_server.core import consent; "
        "print(consent.issue('launch', {'a': 1}, 60).token)"
    )
    procs = [
        subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        for _ in range(3)
    ]
    tokens = [p.communicate(timeout=60)[0].strip() for p in procs]
    for tok in tokens:
        consent.verify(tok, "launch", {"a": 1})
