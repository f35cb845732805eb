"""The HTTP bearer token: generated once 0600 and reused, or read from env / a private file;
short, malformed or shared tokens refused without ever quoting them."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

from oumi_mcp_server.core import http_token
from oumi_mcp_server.core.errors import ServiceError

GOOD = "k" * 20 + "0123456789abcdefXYZ"  # 39 visible characters


def private_file(path: Path, text: str, mode: int = 0o600) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


def test_generated_once_private_and_reused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(http_token.TOKEN_ENV, raising=False)
    first = http_token.load()
    path = http_token.default_path()
    assert first.created and first.source == str(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert len(first.value) >= http_token.MIN_CHARS and first.value == path.read_text().strip()
    again = http_token.load()
    assert again.value == first.value and not again.created
    assert first.value not in repr(first)


def test_concurrent_first_starts_agree_on_one_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(http_token.TOKEN_ENV, raising=False)
    barrier = threading.Barrier(8)
    seen: list[str] = []

    def start() -> None:
        barrier.wait()
        seen.append(http_token.load().value)

    threads = [threading.Thread(target=start) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 8 and len(set(seen)) == 1
    assert [p.name for p in http_token.default_path().parent.iterdir() if "token" in p.name] == [
        http_token.TOKEN_FILE
    ]  # no temporary file left behind


def test_env_wins_over_the_state_file(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(http_token.TOKEN_ENV, f"  {GOOD}\n")
    token = http_token.load()
    assert token.value == GOOD and token.source == http_token.TOKEN_ENV
    assert "environment variable" in token.where
    assert not http_token.default_path().exists()


def test_token_file_wins_over_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(http_token.TOKEN_ENV, "e" * 40)
    path = private_file(tmp_path / "tok", GOOD + "\n")
    token = http_token.load(path)
    assert token.value == GOOD and token.where == f"the file {path}"


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("short-token", "http_token_too_short"),
        ("x" * (http_token.MIN_CHARS - 1), "http_token_too_short"),
        ("has a space " + "x" * 40, "http_token_malformed"),
        ("é" * 40, "http_token_malformed"),
        ("x" * (http_token.MAX_CHARS + 1), "http_token_malformed"),
    ],
)
def test_bad_env_tokens_are_refused_without_being_quoted(
    value: str, code: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(http_token.TOKEN_ENV, value)
    with pytest.raises(ServiceError) as err:
        http_token.load()
    assert err.value.code == code and err.value.fix
    assert value not in err.value.message + err.value.fix
    if code == "http_token_too_short":
        assert str(http_token.MIN_CHARS) in err.value.message


def test_token_files_must_be_private_regular_and_present(tmp_path: Path) -> None:
    shared = private_file(tmp_path / "shared", GOOD, mode=0o644)
    cases = {
        shared: "http_token_file_not_private",
        private_file(tmp_path / "short", "abc"): "http_token_too_short",
        tmp_path / "absent": "http_token_file_missing",
        tmp_path: "http_token_file_unreadable",
    }
    if hasattr(os, "mkfifo"):
        fifo = tmp_path / "fifo"
        os.mkfifo(fifo, 0o600)
        cases[fifo] = "http_token_file_unreadable"  # refused without blocking on open
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff" * 40)
    binary.chmod(0o600)
    cases[binary] = "http_token_malformed"
    for path, code in cases.items():
        with pytest.raises(ServiceError) as err:
            http_token.read_file(path)
        assert err.value.code == code, path
        assert GOOD not in err.value.message + err.value.fix
    assert "chmod 600" in _fix_for(shared)


def _fix_for(path: Path) -> str:
    with pytest.raises(ServiceError) as err:
        http_token.read_file(path)
    return err.value.fix


def test_a_shared_state_token_file_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(http_token.TOKEN_ENV, raising=False)
    http_token.load()
    http_token.default_path().chmod(0o640)
    with pytest.raises(ServiceError) as err:
        http_token.load()
    assert err.value.code == "http_token_file_not_private"


def test_the_dashboard_cookie_is_derived_not_the_token() -> None:
    token = http_token.HttpToken(GOOD, "x")
    other = http_token.HttpToken(GOOD[::-1], "x")
    assert token.cookie_value() == http_token.HttpToken(GOOD, "y").cookie_value()
    assert GOOD not in token.cookie_value() and token.cookie_value() != other.cookie_value()


def test_an_unwritable_state_folder_is_a_structured_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv(http_token.TOKEN_ENV, raising=False)
    locked = tmp_path / "locked"
    locked.mkdir()
    monkeypatch.setenv("OUMI_MCP_STATE_DIR", str(locked))

    def refuse(*args: object, **kwargs: object) -> bool:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(http_token, "create_once", refuse)  # root ignores chmod: simulate it
    with pytest.raises(ServiceError) as err:
        http_token.load()
    assert err.value.code == "http_token_file_unwritable" and http_token.TOKEN_ENV in err.value.fix
