"""Pre-flight checks the config a launch will run: the file with the launch's overrides applied."""

from __future__ import annotations

from pathlib import Path

import pytest

from oumi_mcp_server.preflight.loading import load_config
from oumi_mcp_server.preflight.overrides import with_overrides
from oumi_mcp_server.preflight.service import run_preflight

from .conftest import training_yaml

pytestmark = pytest.mark.usefixtures("oumi_warm")
DATASET_KEY = "data.train.datasets.0.dataset_path"


def test_an_override_fixes_what_the_file_gets_wrong(project: Path) -> None:
    broken = training_yaml(dataset="data/nope.jsonl")
    assert not run_preflight(broken, str(project)).ready
    fixed = run_preflight(broken, str(project), overrides={DATASET_KEY: "data/train.jsonl"})
    assert fixed.ready, fixed.summary
    assert "dataset_not_found" not in {f.code for f in fixed.findings}


def test_an_override_can_break_what_the_file_gets_right(project: Path) -> None:
    r = run_preflight(training_yaml(), str(project), overrides={DATASET_KEY: "data/nope.jsonl"})
    assert not r.ready and "dataset_not_found" in {f.code for f in r.findings}


def test_values_read_as_the_cli_reads_them_and_the_file_is_left_alone(project: Path) -> None:
    loaded, _ = load_config(training_yaml(), str(project))
    before = repr(loaded.data)
    out = with_overrides(
        loaded,
        {
            "--training.max_steps": "7",
            "training.learning_rate": 0.5,
            "model.new_key.deep": "null",
            "data.train.datasets.9.dataset_path": "x",  # no such item: the file's value stays
            "model.model_name.inner": "x",  # a scalar cannot gain keys: left as the file says
        },
    )
    assert repr(loaded.data) == before
    assert out.data["training"]["max_steps"] == 7
    assert out.data["training"]["learning_rate"] == 0.5
    assert out.data["model"]["new_key"] == {"deep": None}
    assert len(out.data["data"]["train"]["datasets"]) == len(
        loaded.data["data"]["train"]["datasets"]
    )
    assert out.data["model"]["model_name"] == loaded.data["model"]["model_name"]
    assert with_overrides(loaded, None) is loaded
