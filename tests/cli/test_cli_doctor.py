"""`oumi-mcp-server doctor`: a truthful, secret-free report; exit 1 only on hard problems."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from oumi_mcp_server.cli.main import cli
from testsupport import subprocess_env

SECRET = "hf_abcdefghijklmnopqrstuvwxyz0123"


def doctor_json() -> tuple[int, dict[str, Any]]:
    result = CliRunner().invoke(cli, ["doctor", "--json"])
    return result.exit_code, json.loads(result.output)


def by_name(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    return {check["name"]: check for check in report["checks"]}


def test_json_report_covers_the_environment() -> None:
    code, report = doctor_json()
    checks = by_name(report)
    for name in (
        "python",
        "oumi",
        "mcp",
        "torch",
        "gpu",
        "state dir",
        "cache dir",
        "recipes",
        "skypilot",
        "slurm",
        "hf token",
    ):
        assert name in checks, name
        assert checks[name]["status"] in ("ok", "warn", "error")
    assert checks["state dir"]["status"] == "ok"
    assert checks["state dir"]["detail"].startswith(os.environ["OUMI_MCP_STATE_DIR"])
    assert report["ok"] is (code == 0)


def test_text_report_ends_with_a_verdict() -> None:
    result = CliRunner().invoke(cli, ["doctor"])
    assert "python" in result.output
    assert result.output.strip().splitlines()[-1] in ("Ready.", "Problems found.")


def test_unwritable_state_dir_is_a_hard_failure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("OUMI_MCP_STATE_DIR", str(blocker / "state"))
    code, report = doctor_json()
    assert code == 1 and report["ok"] is False
    state = by_name(report)["state dir"]
    assert state["status"] == "error" and "OUMI_MCP_STATE_DIR" in state["fix"]


def test_hf_token_is_reported_by_name_never_by_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", SECRET)
    result = CliRunner().invoke(cli, ["doctor", "--json"])
    assert SECRET not in result.output
    assert by_name(json.loads(result.output))["hf token"]["detail"] == "set in $HF_TOKEN"


def test_hf_token_file_is_found(isolated_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.delenv("HUGGING_FACE_HUB_TOKEN", raising=False)
    token_file = Path(os.environ["HF_HOME"]) / "token"
    assert by_name(doctor_json()[1])["hf token"]["status"] == "warn"
    token_file.write_text(SECRET)
    check = by_name(doctor_json()[1])["hf token"]
    assert check["status"] == "ok" and str(token_file) in check["detail"]
    assert SECRET not in check["detail"]


def test_recipe_source_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = tmp_path / "configs" / "recipes" / "tiny"
    catalog.mkdir(parents=True)
    (catalog / "train.yaml").write_text("model: {model_name: tiny}\n")
    (catalog / "infer.yaml").write_text("model: {model_name: tiny}\n")
    monkeypatch.setenv("OUMI_MCP_CONFIGS_DIR", str(tmp_path / "configs"))
    check = by_name(doctor_json()[1])["recipes"]
    assert check["status"] == "ok" and check["detail"].startswith("2 YAML files")


def test_gpu_is_found_through_nvidia_smi(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = tmp_path / "bin" / "nvidia-smi"
    fake.parent.mkdir()
    fake.write_text("#!/bin/sh\necho 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-1234)'\n")
    fake.chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake.parent}{os.pathsep}{os.environ['PATH']}")
    check = by_name(doctor_json()[1])["gpu"]
    assert check["status"] == "ok" and "1 NVIDIA GPU(s)" in check["detail"]


def test_doctor_imports_no_heavy_module() -> None:
    probe = (
        "import json, sys\nfrom oumi_mcp_server.cli.main import cli\n"
        "cli(['doctor', '--json'], standalone_mode=False)\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'transformers', 'oumi', 'sky', 'datasets')]\n"
        "print(json.dumps(heavy))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        env=subprocess_env(),
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []
