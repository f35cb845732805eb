"""Pre-flight of the offline evaluation tasks: the shipped tiny eval config is ready; wrong
eval_kwargs or a bad input line are errors before anything runs, a cluster target (where they
are not registered) a warning; other custom task names pass. And the task table matches the
functions oumi calls."""

from __future__ import annotations

import ast
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from oumi_mcp_server.evaluation import deps
from oumi_mcp_server.evaluation.tasks import TASKS, check_task
from oumi_mcp_server.preflight.service import run_preflight

RESERVED = {"config", "task_params", "inference_engine"}
SUITE = {"prompt": "Q", "expected": "A", "match": "exact"}


def test_task_table_matches_the_registered_functions() -> None:
    tree = ast.parse(deps.MODULE.read_text(encoding="utf-8"))
    params = {
        node.name: [a.arg for a in node.args.args if a.arg not in RESERVED]
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")
    }
    assert params == {name: [spec.file_kwarg] for name, spec in TASKS.items()}


def _config(tmp_path: Path, tasks: list[dict[str, Any]]) -> Path:
    (tmp_path / "model").mkdir(exist_ok=True)
    data = {"model": {"model_name": str(tmp_path / "model")}, "tasks": tasks}
    path = tmp_path / "eval.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _suite(tmp_path: Path, rows: list[Any]) -> Path:
    path = tmp_path / "suite.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _custom(name: str, **kwargs: Any) -> dict[str, Any]:
    return {"evaluation_backend": "custom", "task_name": name, "eval_kwargs": kwargs}


@pytest.mark.parametrize(
    ("task", "says"),
    [
        (_custom("prompt_suite"), "takes exactly one eval_kwarg, suite_path"),
        (_custom("prompt_suite", suite_path="s", max_rows=3), "gives ['max_rows', 'suite_path']"),
        (_custom("heldout_loss", data_path="gone.jsonl"), "does not exist"),
        (_custom("PROMPT_SUITE", suite_path="suite.jsonl"), 'suite.jsonl:2: unknown "match"'),
    ],
)
def test_problems_are_named(tmp_path: Path, task: dict[str, Any], says: str) -> None:
    _suite(tmp_path, [SUITE, SUITE | {"match": "fuzzy"}])
    problem = check_task(task, tmp_path, read_files=True)
    assert problem is not None and says in problem.message, problem


def test_good_and_foreign_tasks_pass(tmp_path: Path) -> None:
    _suite(tmp_path, [SUITE, SUITE | {"match": "fuzzy"}])
    bounded = _custom("prompt_suite", suite_path="suite.jsonl") | {"num_samples": 1}
    assert check_task(bounded, tmp_path, read_files=True) is None  # line 2 is never read
    assert check_task(_custom("my_own_eval", anything=1), tmp_path, read_files=True) is None
    remote = _custom("prompt_suite", suite_path="/on/the/cluster.jsonl")
    assert check_task(remote, tmp_path, read_files=False) is None


def test_preflight_reports_them(tmp_path: Path) -> None:
    suite = _suite(tmp_path, [SUITE, "not an object"])
    config = _config(tmp_path, [_custom("prompt_suite", suite_path=str(suite))])
    report = run_preflight(str(config), str(tmp_path))
    bad = [f for f in report.findings if f.code == "bad_custom_eval"]
    assert not report.ready and bad and "suite.jsonl:2: expected a JSON object" in bad[0].message
    assert bad[0].location is not None and bad[0].location.key == "tasks.0.eval_kwargs"
    remote = run_preflight(str(config), str(tmp_path), cloud="slurm")
    codes = {f.code: f.severity for f in remote.findings}
    assert codes.get("custom_eval_not_registered") == "warning" and "bad_custom_eval" not in codes
    suite.write_text(json.dumps(SUITE) + "\n", encoding="utf-8")
    ok = run_preflight(str(config), str(tmp_path))
    assert not [f for f in ok.findings if "custom_eval" in f.code], ok.findings


@pytest.mark.slow  # builds the tiny model
def test_the_tiny_eval_config_is_ready(tiny_assets: Any) -> None:
    report = run_preflight(str(tiny_assets.eval_config), str(tiny_assets.root))
    assert report.ready, report.findings
