"""`command="tune"` (an oumi TuningConfig runs its own search) goes through run_oumi_job; where
optuna is missing, pre-flight says so before launch and says how to install it."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from oumi_mcp_server.server.app import build_server

TUNE = """\
model:
  model_name: model
data:
  train:
    datasets:
      - dataset_name: text_sft_jsonl
        dataset_path: train.jsonl
tuning:
  n_trials: 2
  tunable_training_params:
    learning_rate:
      type: loguniform
      low: 1.0e-05
      high: 1.0e-03
  output_dir: output/tune
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "tune.yaml").write_text(TUNE)
    (tmp_path / "train.jsonl").write_text('{"messages": []}\n')
    real = importlib.util.find_spec

    def no_optuna(name: str, *args: Any, **kw: Any) -> Any:
        return None if name.split(".")[0] == "optuna" else real(name, *args, **kw)

    monkeypatch.setattr(importlib.util, "find_spec", no_optuna)
    return tmp_path


@pytest.mark.anyio
async def test_tune_without_optuna_is_not_ready_and_says_how_to_install(project: Path) -> None:
    args = {"config": "tune.yaml", "client_cwd": str(project)}
    async with Client(build_server()) as c:
        checked = (await c.call_tool("pre_flight_check", args)).structured_content
        plan = (await c.call_tool("run_oumi_job", {**args, "command": "tune"})).structured_content
        sweep = await c.call_tool("run_sweep", {**args, "command": "tune", "metric": "loss"})
    assert checked is not None and checked["ready"] is False
    found = [f for f in checked["findings"] if f["code"] == "package_missing"]
    assert found and "optuna" in found[0]["message"], checked["findings"]
    assert "pip install 'oumi[tune]'" in found[0]["fix"]
    assert plan is not None and not plan["launched"]
    assert plan["plan"]["preflight_ready"] is False and "optuna" in plan["plan"]["preflight"]
    assert sweep.is_error
    error = json.loads(sweep.content[0].text)["error"]  # type: ignore[union-attr]
    assert error["code"] == "use_tune" and "run_oumi_job" in error["fix"]
