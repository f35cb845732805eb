"""Hostile "configs" through a real MCP client: each is a structured refusal, nothing echoed.

validate_config and pre_flight_check answer with a report whose finding has a code and a fix;
run_oumi_job (planning only: no confirm_token) answers with an `{"error": {...}}` result.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, types

from oumi_mcp_server.server.app import build_server
from preflight.test_loading import shadow_lines
from preflight.test_yaml_guard import laughs

SECRET_MARKS = ("$6$", "H4sh", "x" * 100, "7" * 100, "lol', 'lol")
LONG_NAME = "n" * 300 + ".yaml"
# name -> (what to write, or None; the finding code; run_oumi_job's code)
CASES: dict[str, tuple[str | None, str, str]] = {
    "bomb.yaml": (laughs(), "yaml_alias_bomb", "bad_config"),
    "bytes_bomb.yaml": (
        laughs(levels=3, width=16, leaf="x" * 4096) + "model: {model_name: *a2}\n",
        "yaml_alias_bomb",
        "bad_config",
    ),
    "shadow": (shadow_lines(), "not_oumi_config", "bad_config"),
    "ctrl.yaml": ("model:\n  model_name: a\x07\x1b[2Jb\n", "yaml_control_character", "bad_config"),
    "bigint.yaml": ("training:\n  max_steps: " + "7" * 5000 + "\n", "yaml_bad_value", "bad_config"),
    "date.yaml": ("training:\n  start: 2024-13-45\n", "yaml_bad_value", "bad_config"),
    "sparse.yaml": (None, "config_too_large", "config_too_large"),
    "pipe.yaml": (None, "config_not_a_file", "config_not_a_file"),
    "/dev/zero": (None, "config_not_a_file", "config_not_a_file"),
    "/proc/self/mem": (None, "config_unreadable", "config_unreadable"),
    LONG_NAME: (None, "path_too_long", "path_too_long"),
}


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("OUMI_MCP_CONFIGS_AUTO_SYNC", "0")  # no catalog download for suggestions
    monkeypatch.setenv("OUMI_MCP_PREFLIGHT", "off")
    for name, (content, _, _) in CASES.items():
        if content is not None:
            (tmp_path / name).write_text(content)
    with (tmp_path / "sparse.yaml").open("wb") as fh:
        fh.truncate(3 * 1024**3)  # 3 GB never written: refused from its size
    os.mkfifo(tmp_path / "pipe.yaml")
    return tmp_path


def _text(result: types.CallToolResult) -> str:
    return "".join(c.text for c in result.content if isinstance(c, types.TextContent))


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def _no_echo(text: str) -> None:
    for mark in SECRET_MARKS:
        assert mark not in text
    assert "n" * 200 not in text and "\x1b" not in text and "\x07" not in text


@pytest.mark.anyio
async def test_every_hostile_config_is_refused_structured(project: Path) -> None:
    before = _names(project)
    async with Client(build_server()) as client:
        for name, (_, code, job_code) in CASES.items():
            for tool in ("validate_config", "pre_flight_check"):
                result = await client.call_tool(tool, {"config": name, "client_cwd": str(project)})
                report: Any = result.structured_content
                assert not result.is_error and report is not None, (tool, name, _text(result))
                assert report.get("valid", report.get("ready")) is False
                first = report["findings"][0]
                assert (first["code"], bool(first["fix"])) == (code, True), (tool, name, first)
                _no_echo(_text(result))
            result = await client.call_tool(
                "run_oumi_job",
                {"command": "train", "config": name, "client_cwd": str(project)},
            )
            assert result.is_error, name
            error = json.loads(_text(result))["error"]
            assert error["code"] == job_code and error["fix"], (name, error)
            if job_code == "bad_config":
                assert error["details"]["reason"] == code
            _no_echo(_text(result))
    assert _names(project) == before  # nothing written
