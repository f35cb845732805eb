"""Shared pieces for pre-flight tests: one warm oumi import, a project folder, tree snapshots."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from oumi_mcp_server.preflight import remote, warmup


@pytest.fixture(scope="session")
def oumi_warm() -> None:
    """Import oumi's config classes once for the whole session (about 10 s): every check
    after this runs oumi's own loader too."""
    assert warmup.wait(), warmup.error()


@pytest.fixture(autouse=True)
def no_recipe_download(monkeypatch: pytest.MonkeyPatch) -> None:
    """Suggestions must not start the recipe catalog's background download in these tests."""
    monkeypatch.setenv("OUMI_MCP_CONFIGS_AUTO_SYNC", "0")


def cache_model(repo_id: str, config: dict[str, object] | None = None) -> Path:
    """Put `repo_id` in the test's private HF cache (a config.json snapshot), as a download
    would: pre-flight then knows it is available offline."""
    snap = Path(os.environ["HF_HOME"]) / "hub" / f"models--{repo_id.replace('/', '--')}"
    (snap / "snapshots" / "0").mkdir(parents=True, exist_ok=True)
    (snap / "refs").mkdir(exist_ok=True)
    (snap / "refs" / "main").write_text("0")
    body = config or {"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 2}
    (snap / "snapshots" / "0" / "config.json").write_text(json.dumps(body))
    return snap


@pytest.fixture
def project(tmp_path: Path) -> Path:
    cache_model("HuggingFaceTB/SmolLM2-135M")
    root = tmp_path / "project"
    (root / "data").mkdir(parents=True)
    (root / "data" / "train.jsonl").write_text(
        "\n".join(
            json.dumps(
                {
                    "messages": [
                        {"role": "user", "content": f"q{i}"},
                        {"role": "assistant", "content": f"a{i}"},
                    ]
                }
            )
            for i in range(5)
        )
        + "\n"
    )
    return root


@pytest.fixture
def no_sky(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Replace SkyPilot's check with a canned answer; records each call."""
    calls: list[str] = []

    def fake() -> list[str]:
        calls.append("called")
        return ["aws"]

    remote.clear_cache()
    monkeypatch.setattr(remote, "_sky_enabled_clouds", fake)
    yield calls
    remote.clear_cache()


def snapshot(*roots: Path) -> dict[str, tuple[int, float]]:
    out: dict[str, tuple[int, float]] = {}
    for root in roots:
        for p in sorted(root.rglob("*")):
            st = p.lstat()
            out[str(p)] = (st.st_size, st.st_mtime)
    return out


def training_yaml(
    dataset: str = "data/train.jsonl",
    model: str = "HuggingFaceTB/SmolLM2-135M",
    output_dir: str = "output/run1",
    extra: str = "",
) -> str:
    return f"""\
model:
  model_name: {model}
  torch_dtype_str: bfloat16
  model_max_length: 512
data:
  train:
    datasets:
      - dataset_name: text_sft_jsonl
        dataset_path: {dataset}
training:
  trainer_type: TRL_SFT
  per_device_train_batch_size: 2
  max_steps: 5
  output_dir: {output_dir}
{extra}"""
