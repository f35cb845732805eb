"""Stdio purity: with every tool, resource and prompt exercised, stdout carries only JSON-RPC."""

from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path
from typing import Any

import pytest

from oumi_mcp_server.core.scripts import server_argv
from testsupport import stop_process, subprocess_env

PROTOCOL = "2025-06-18"
CALL_TIMEOUT_S = 180.0


def server_command() -> list[str]:
    return server_argv("serve")


class RawStdioServer:
    """The server as a subprocess, spoken to in raw JSON-RPC, every stdout byte kept."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.proc = subprocess.Popen(
            server_command(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            cwd=cwd,
        )
        self.raw_lines: list[bytes] = []
        self.stderr = b""
        self._answers: dict[int, dict[str, Any]] = {}
        self._cond = threading.Condition()
        self._next_id = 0
        threading.Thread(target=self._read_stdout, daemon=True).start()
        threading.Thread(target=self._read_stderr, daemon=True).start()

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.raw_lines.append(line)
                try:
                    message = json.loads(line)
                except ValueError:
                    message = None
                if isinstance(message, dict) and "id" in message and "method" not in message:
                    self._answers[message["id"]] = message
                self._cond.notify_all()

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        self.stderr = self.proc.stderr.read()

    def send(self, message: dict[str, Any]) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(message).encode() + b"\n")
        self.proc.stdin.flush()

    def request(
        self, method: str, params: dict[str, Any] | None = None, timeout: float = CALL_TIMEOUT_S
    ) -> dict[str, Any]:
        self._next_id += 1
        rid = self._next_id
        message: dict[str, Any] = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            message["params"] = params
        self.send(message)
        with self._cond:
            if not self._cond.wait_for(
                lambda: rid in self._answers or self.proc.poll() is not None, timeout=timeout
            ):
                raise AssertionError(f"{method} {params} got no answer in {timeout} s")
            if rid not in self._answers:
                raise AssertionError(
                    f"server died during {method} {params}: "
                    f"{self.stderr.decode(errors='replace')[-2000:]}"
                )
            return self._answers[rid]

    def initialize(self) -> dict[str, Any]:
        answer = self.request(
            "initialize",
            {
                "protocolVersion": PROTOCOL,
                "capabilities": {},
                "clientInfo": {"name": "stdio-test", "version": "0"},
            },
        )
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return answer

    def close(self) -> None:
        if self.proc.poll() is None:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                stop_process(self.proc, timeout=5)


def sample_value(name: str, schema: dict[str, Any], project: Path) -> Any:
    """A small argument: valid where easy, plausibly wrong otherwise (an error is fine)."""
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if s.get("type") != "null"]
            return sample_value(name, options[0] if options else {}, project)
    kind = schema.get("type", "string")
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "array":
        return []
    if kind == "object":
        return {}
    lowered = name.lower()
    if lowered == "client_cwd":
        return str(project)
    if "token" in lowered:
        return "not-a-real-token"
    if "job" in lowered:
        return "no-such-job"
    if "cluster" in lowered:
        return "no-such-cluster"
    if lowered == "cloud":
        return "local"
    if "path" in lowered or "config" in lowered or "dir" in lowered:
        return "recipes/tiny/sft/train.yaml"
    if lowered in ("query", "keyword", "model"):
        return "tiny"
    return "x"


def sample_arguments(tool: dict[str, Any], project: Path) -> dict[str, Any]:
    schema = tool.get("inputSchema", {})
    props: dict[str, Any] = schema.get("properties", {})
    return {name: sample_value(name, props[name], project) for name in schema.get("required", [])}


def write_tiny_catalog(root: Path) -> Path:
    recipe = root / "recipes" / "tiny" / "sft" / "train.yaml"
    recipe.parent.mkdir(parents=True)
    recipe.write_text(
        "# Tiny SFT recipe for tests.\nmodel:\n  model_name: tiny/model\n"
        "training:\n  trainer_type: TRL_SFT\n  max_steps: 1\n"
    )
    (root / "recipes" / "tiny" / "inference").mkdir()
    (root / "recipes" / "tiny" / "inference" / "infer.yaml").write_text(
        "model:\n  model_name: tiny/model\ngeneration:\n  max_new_tokens: 8\n"
    )
    return root


@pytest.fixture
def project(tmp_path: Path) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    (folder / "recipes" / "tiny" / "sft").mkdir(parents=True)
    (folder / "recipes" / "tiny" / "sft" / "train.yaml").write_text(
        "model:\n  model_name: tiny/model\ntraining:\n  max_steps: 1\n"
    )
    return folder


@pytest.fixture
def raw_server(tmp_path: Path, project: Path) -> Any:
    catalog = write_tiny_catalog(tmp_path / "catalog")
    env = subprocess_env({"OUMI_MCP_CONFIGS_DIR": str(catalog), "PYTHONUNBUFFERED": "1"})
    server = RawStdioServer(env, cwd=project)
    try:
        yield server
    finally:
        server.close()


def _assert_all_jsonrpc(lines: list[bytes]) -> None:
    assert lines, "the server wrote nothing on stdout"
    for number, line in enumerate(lines, 1):
        try:
            message = json.loads(line)
        except ValueError:
            raise AssertionError(f"stdout line {number} is not JSON: {line[:300]!r}") from None
        assert isinstance(message, dict) and message.get("jsonrpc") == "2.0", line[:300]
        assert "result" in message or "error" in message or "method" in message, line[:300]


@pytest.mark.slow
def test_stdout_holds_only_jsonrpc_while_every_tool_resource_and_prompt_runs(
    raw_server: RawStdioServer,
    project: Path,
) -> None:
    assert "result" in raw_server.initialize()
    tools = raw_server.request("tools/list")["result"]["tools"]
    assert tools, "no tools listed"
    for tool in tools:
        for arguments in ({}, sample_arguments(tool, project)):
            answer = raw_server.request(
                "tools/call", {"name": tool["name"], "arguments": arguments}
            )
            # An error result or a JSON-RPC error is fine; a dead server or no answer is not.
            assert "result" in answer or "error" in answer, (tool["name"], answer)

    resources = raw_server.request("resources/list")["result"]["resources"]
    assert any(r["uri"] == "guidance://workflow" for r in resources)
    for resource in resources:
        answer = raw_server.request("resources/read", {"uri": resource["uri"]})
        assert "result" in answer, (resource["uri"], answer)

    templates = raw_server.request("resources/templates/list")["result"]["resourceTemplates"]
    for template in templates:
        uri = template["uriTemplate"]
        for variable in ("{job_id}", "{name}", "{path}"):
            uri = uri.replace(variable, "no-such-thing")
        answer = raw_server.request("resources/read", {"uri": uri})
        assert "result" in answer or "error" in answer, (uri, answer)

    for prompt in raw_server.request("prompts/list")["result"]["prompts"]:
        arguments = {a["name"]: "x" for a in prompt.get("arguments", []) if a.get("required")}
        answer = raw_server.request("prompts/get", {"name": prompt["name"], "arguments": arguments})
        assert "result" in answer, (prompt["name"], answer)

    assert raw_server.proc.poll() is None, "the server exited"
    raw_server.close()
    _assert_all_jsonrpc(raw_server.raw_lines)


def test_the_purity_check_catches_stray_output() -> None:
    with pytest.raises(AssertionError, match="not JSON"):
        _assert_all_jsonrpc([b'{"jsonrpc": "2.0", "id": 1, "result": {}}\n', b"Loading model...\n"])


def test_server_exits_when_the_client_closes_stdin(raw_server: RawStdioServer) -> None:
    raw_server.initialize()
    raw_server.close()
    assert raw_server.proc.returncode == 0, raw_server.stderr.decode(errors="replace")[-2000:]
