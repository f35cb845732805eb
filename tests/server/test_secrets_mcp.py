"""A job that prints its whole environment: no secret value comes back through MCP.

Secrets sit in the server's environment, the tool's `envs`, the saved Hugging Face token and
the config; the job prints them as `NAME=value`, as JSON and each value alone, on both streams.
Every answer (tool results, the logs resource, greps for each secret) is searched for each value.
"""

from __future__ import annotations

import json
import os
import random
import re
import string
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from jobs.jobhelpers import kill_jobs, make_project
from oumi_mcp_server.jobs.commands import OUMI_BIN_ENV
from oumi_mcp_server.server.app import build_server

_RNG = random.Random(31)
ALNUM = string.ascii_letters + string.digits


def _rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_RNG.choice(alphabet) for _ in range(n))


PEM = "\n".join(
    [
        "-----BEGIN OPENSSH PRIVATE KEY-----",
        *(_rand(70) for _ in range(4)),
        "-----END OPENSSH PRIVATE KEY-----",
    ]
)
SERVER_SECRETS = {
    "HF_TOKEN": "hf_" + _rand(34),
    "OPENAI_API_KEY": "sk-proj-" + _rand(48),
    "ANTHROPIC_API_KEY": "sk-ant-api03-" + _rand(93),
    "GEMINI_API_KEY": "AIza" + _rand(35),
    "REPLICATE_API_TOKEN": "r8_" + _rand(37),
    "AZURE_OPENAI_API_KEY": _rand(32, "0123456789abcdef"),
    "AWS_ACCESS_KEY_ID": "AKIA" + _rand(16, string.ascii_uppercase + string.digits),
    "AWS_SECRET_ACCESS_KEY": _rand(40, ALNUM + "/+"),
    "WANDB_API_KEY": _rand(40, "0123456789abcdef"),
    "GITHUB_TOKEN": "ghp_" + _rand(36),
    "SLACK_BOT_TOKEN": "xoxb-" + _rand(12, string.digits) + "-" + _rand(24),
    "STRIPE_SECRET_KEY": "sk_live_" + _rand(24),
    "MY_DB_PASSWORD": "correct horse " + _rand(12),
    "SMTP_PASSWD": _rand(14, ALNUM + "!#%^*"),
    "SSH_PRIVATE_KEY": PEM,
    "DATABASE_URL": f"postgres://app:{_rand(18)}@db.internal:5432/app",
}
HF_FILE_TOKEN = "hf-file-" + _rand(30)
CONFIG_SECRETS = {"COHERE_API_KEY": _rand(40), "api_key": "sk-" + _rand(40)}
TOOL_SECRETS_FOUND_BY_SHAPE_OR_NAME = {
    "EXTRA_REPLICATE_TOKEN": "r8_" + _rand(37),
    "JOB_GITLAB_TOKEN": "glpat-" + _rand(20),
}
TOOL_SECRET_ONLY_BY_VALUE = {"JOB_DB_PASSWORD": "Zq8vR2mK x77LpQ0a " + _rand(8)}

ENV_PRINTER = """#!{python}
import json, os, sys
print("fake oumi", sys.argv[1:], flush=True)
for name, value in sorted(os.environ.items()):
    print(f"{{name}}={{value}}")
print(json.dumps(dict(os.environ)))
for value in os.environ.values():
    print(value, file=sys.stderr)
with open(os.path.join(os.environ["HF_HOME"], "token")) as fh:
    print("saved token:", fh.read())
with open(sys.argv[sys.argv.index("-c") + 1]) as fh:
    print(fh.read())
"""


@pytest.fixture(autouse=True)
def _stop_job_processes(isolated_env: Path) -> Iterator[None]:
    yield
    kill_jobs(Path(os.environ["OUMI_MCP_STATE_DIR"]))


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, isolated_env: Path) -> Path:
    proj = make_project(tmp_path, monkeypatch)
    printer = tmp_path / "env_printer"
    printer.write_text(ENV_PRINTER.format(python=sys.executable))
    printer.chmod(0o755)
    monkeypatch.setenv(OUMI_BIN_ENV, str(printer))
    # The person running the server lets launches set these (the model could not).
    monkeypatch.setenv("OUMI_MCP_ALLOWED_ENVS", "EXTRA_*,JOB_*")
    for name, value in SERVER_SECRETS.items():
        monkeypatch.setenv(name, value)
    (isolated_env / "hf" / "token").write_text(HF_FILE_TOKEN)
    with (proj / "train.yaml").open("a") as fh:
        fh.write(f"# COHERE_API_KEY: {CONFIG_SECRETS['COHERE_API_KEY']}\n")
        fh.write(f'# api_key: "{CONFIG_SECRETS["api_key"]}"\n')
    return proj


def _pieces(values: dict[str, str]) -> dict[str, str]:
    """Each secret, and each line of a multi-line one, by a name to report."""
    out: dict[str, str] = {}
    for name, value in values.items():
        for i, line in enumerate(value.splitlines()):
            if len(line.strip()) >= 8 and not line.startswith("-----"):
                out[f"{name}[{i}]"] = line.strip()
    return out


async def _run_and_collect(project: Path, envs: dict[str, str], probes: list[str]) -> list[str]:
    """Launch the printer job with `envs`, follow it, and return every answer's text."""
    args: dict[str, Any] = {
        "command": "train",
        "config": "train.yaml",
        "client_cwd": str(project),
        "envs": envs,
    }
    texts: list[str] = []
    async with Client(build_server()) as c:
        offer = await c.call_tool("run_oumi_job", args)
        token = offer.structured_content["confirm_token"]  # type: ignore[index]
        done = await c.call_tool("run_oumi_job", {**args, "confirm_token": token})
        job_id = done.structured_content["job"]["job_id"]  # type: ignore[index]
        final = await c.call_tool("wait_for_job", {"job_id": job_id, "timeout_s": 120})
        assert final.structured_content["status"] == "completed", final  # type: ignore[index]
        answers = [offer, done, final]
        answers.append(await c.call_tool("get_job_status", {"job_id": job_id}))
        answers.append(await c.call_tool("list_jobs", {}))
        for stream in ("stdout", "stderr", "both"):
            answers.append(
                await c.call_tool(
                    "get_job_logs",
                    {"job_id": job_id, "stream": stream, "tail": 10_000, "max_bytes": 1_000_000},
                )
            )
        for probe in probes:  # a grep cannot confirm a guess of a secret either
            answers.append(
                await c.call_tool("get_job_logs", {"job_id": job_id, "grep": re.escape(probe)})
            )
        for answer in answers:
            texts += [block.text for block in answer.content if hasattr(block, "text")]
            texts.append(json.dumps(answer.structured_content, ensure_ascii=False))
        res = await c.read_resource(f"jobs://{job_id}/logs")
        texts += [getattr(block, "text", "") for block in res.contents]
    everything = "\n".join(texts)
    assert "fake oumi" in everything and "<redacted>" in everything  # the job's output is there
    return texts


def _found(texts: list[str], secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if any(value in t for t in texts)]


@pytest.mark.anyio
async def test_no_secret_value_comes_back_from_any_answer(project: Path) -> None:
    secrets = _pieces(
        SERVER_SECRETS
        | CONFIG_SECRETS
        | TOOL_SECRETS_FOUND_BY_SHAPE_OR_NAME
        | {"hf token file": HF_FILE_TOKEN}
    )
    assert len(secrets) >= 15
    texts = await _run_and_collect(
        project,
        TOOL_SECRETS_FOUND_BY_SHAPE_OR_NAME,
        [v[:12] for v in secrets.values()],
    )
    assert _found(texts, secrets) == []


@pytest.mark.anyio
async def test_a_tool_env_value_without_shape_is_hidden_by_value(project: Path) -> None:
    secrets = _pieces(TOOL_SECRET_ONLY_BY_VALUE)
    texts = await _run_and_collect(project, TOOL_SECRET_ONLY_BY_VALUE, [])
    assert _found(texts, secrets) == []
