"""The demo drives a real server subprocess over stdio with the MCP client, like an assistant."""

from __future__ import annotations

import io
import json
import re
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from oumi_mcp_server.cli.main import cli
from oumi_mcp_server.demo.assets import TRAIN_STEPS
from oumi_mcp_server.demo.run import DemoOptions, default_configs_dir, run_demo

RECIPE = """# Full fine-tune of SmolLM 135M on alpaca.
model:
  model_name: HuggingFaceTB/SmolLM2-135M-Instruct
data:
  train:
    datasets:
      - dataset_name: yahma/alpaca-cleaned
training:
  trainer_type: TRL_SFT
  max_steps: 10
"""
INFER = """# Inference with Llama 3.1 8B.
model:
  model_name: meta-llama/Llama-3.1-8B-Instruct
engine: NATIVE
"""


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """A two-recipe catalog, so the test needs no ../shared snapshot."""
    root = tmp_path / "catalog"
    for rel, text in (
        ("recipes/smollm/sft/135m/train.yaml", RECIPE),
        ("recipes/llama3_1/inference/8b_infer.yaml", INFER),
    ):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)
    return root


def _run(options: DemoOptions) -> tuple[int, str]:
    out = io.StringIO()
    options.out = out
    code = run_demo(options)
    return code, out.getvalue()


@pytest.mark.slow
def test_demo_lists_tools_searches_and_reads_a_recipe(tmp_path: Path, catalog: Path) -> None:
    code, text = _run(DemoOptions(workdir=tmp_path / "work", jobs=False, configs_dir=catalog))
    assert code == 0, text
    assert f"recipes:     {catalog}" in text
    assert "connected in" in text
    for tool in ("search_configs", "get_config", "run_oumi_job", "wait_for_job"):
        assert f"  • {tool}: " in text
    assert "→ search_configs(query='smollm 135m sft', limit=5)" in text
    assert (
        "  • recipes/smollm/sft/135m/train.yaml  [sft, HuggingFaceTB/SmolLM2-135M-Instruct]" in text
    )
    assert "→ get_config(path='recipes/smollm/sft/135m/train.yaml'" in text
    assert "  |       - dataset_name: yahma/alpaca-cleaned" in text
    assert "(job part skipped: --no-jobs)" in text
    assert text.rstrip().endswith("✓ demo finished")
    assert (tmp_path / "work" / "server.log").is_file()


def test_demo_skips_the_job_part_on_a_server_without_job_tools(
    tmp_path: Path, catalog: Path
) -> None:
    recipes_only = (
        "from mcp.server.mcpserver import MCPServer\n"
        "from oumi_mcp_server.server import tools_recipes\n"
        "app = MCPServer(name='recipes-only')\n"
        "tools_recipes.register(app)\n"
        "app.run()\n"
    )
    code, text = _run(
        DemoOptions(
            workdir=tmp_path / "work",
            configs_dir=catalog,
            server_command=[sys.executable, "-c", recipes_only],
        )
    )
    assert code == 0, text
    assert "(job part skipped: this server has no pre_flight_check, run_oumi_job" in text
    assert "build a tiny model" not in text


def test_demo_shows_a_catalog_error_and_goes_on(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-catalog"
    code, text = _run(DemoOptions(workdir=tmp_path / "work", jobs=False, configs_dir=missing))
    assert code == 0, text
    assert "(recipe part skipped: search_configs returned an error: [configs_dir_missing]" in text
    assert "Fix: " in text
    assert "(job part skipped: --no-jobs)" in text


def test_demo_without_a_catalog_tries_to_download_it_and_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fresh clone: no snapshot, an empty cache, no network here; the download fails fast."""
    monkeypatch.setattr("oumi_mcp_server.demo.run.default_configs_dir", lambda: None)
    code, text = _run(DemoOptions(workdir=tmp_path / "work", jobs=False))
    assert code == 0, text
    assert "recipes:     the server default source" in text
    assert "[no_recipes]" in text
    assert "→ sync_configs()" in text
    assert "(job part skipped: --no-jobs)" in text


def test_demo_reports_a_server_that_does_not_start(tmp_path: Path) -> None:
    code, text = _run(
        DemoOptions(
            workdir=tmp_path / "work",
            jobs=False,
            server_command=[sys.executable, "-c", "raise SystemExit(3)"],
        )
    )
    assert code == 1
    assert "✗ demo stopped: lost the server (" in text
    assert str(tmp_path / "work" / "server.log") in text


def test_cli_demo_command(tmp_path: Path, catalog: Path) -> None:
    result = CliRunner().invoke(
        cli,
        [
            "demo",
            "--no-jobs",
            "--workdir",
            str(tmp_path / "w"),
            "--configs-dir",
            str(catalog),
            "--query",
            "llama infer",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "recipes/llama3_1/inference/8b_infer.yaml" in result.output
    assert "✓ demo finished" in result.output


def test_demo_uses_the_snapshot_beside_a_checkout(shared_configs: Path) -> None:
    assert default_configs_dir().resolve() == shared_configs.resolve()


@pytest.mark.oumi
def test_full_demo_trains_and_infers_through_the_server(tmp_path: Path, catalog: Path) -> None:
    workdir = tmp_path / "work"
    code, text = _run(DemoOptions(workdir=workdir, configs_dir=catalog))
    assert code == 0, text
    assert "ready: True" in text
    assert "→ run_oumi_job(command='train'" in text
    assert "confirm_token=" in text
    assert text.count("  status: completed (exit code 0)") >= 3
    final = re.search(
        r"final status and loss.*?steps: (\d+)/(\d+) · loss ([\d.]+) → ([\d.]+)", text, re.S
    )
    assert final, text
    step, total, first, last = final.groups()
    assert step == total == str(TRAIN_STEPS)
    assert float(last) < float(first) / 4
    predictions = [
        json.loads(line)
        for line in (workdir / "tiny" / "predictions.jsonl").read_text().splitlines()
    ]
    for row in predictions:
        assert f"  assistant: {row['messages'][-1]['content']}" in text
    assert "  assistant: The sky is blue." in text
    assert text.rstrip().endswith("✓ demo finished")
