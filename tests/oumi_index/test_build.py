"""The index read from a small fake oumi source tree: classes, fields, enums, registries, CLI,
aliases and API docs, without importing a line of it; and its on-disk cache."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from oumi_mcp_server.oumi_index import build, cache
from oumi_mcp_server.oumi_index.schema import SchemaIndex
from oumi_mcp_server.oumi_index.source import OumiSource

TP = "oumi.core.configs.params.training_params"


def test_config_classes_fields_and_enums(fake_oumi: OumiSource) -> None:
    index = SchemaIndex(build.build_schema(fake_oumi))
    assert index.kind_class("training") == "oumi.core.configs.training_config.TrainingConfig"
    model = index.fields(index.fields(index.kind_class("training"))["model"]["t"][1])
    assert model["model_name"]["required"] and model["model_name"]["doc"] == "The model id."
    assert model["adapter_model"]["t"] == ["union", ["str", "none"]]
    assert (
        model["model_kwargs"]["t"] == ["dict", "str", "any"]
        and not model["model_kwargs"]["required"]
    )
    training = index.fields(f"{TP}.TrainingParams")
    assert training["learning_rate"]["default"] == "5e-05"
    assert training["learning_rate"]["doc"] == "The initial learning rate."
    assert training["trainer_type"]["t"] == ["ref", f"{TP}.TrainerType"]
    assert training["workers"]["t"] == ["union", ["int", "str"]]  # a forward reference
    assert training["tags"]["factory"] == "list"
    members = index.enum_members(f"{TP}.TrainerType") or []
    assert [(m["name"], m["value"], m["doc"]) for m in members][:1] == [
        ("TRL_SFT", "trl_sft", "SFT from trl.")
    ]
    grpo = list(index.fields(f"{TP}.GrpoTrainingParams").items())
    assert [n for n, _ in grpo][-1] == "num_generations"  # base fields first, in order
    assert dict(grpo)["max_steps"]["default"] == "10"  # the subclass's default wins
    rec = index.cls(index.kind_class("training"))
    assert rec and rec["doc"] == "Everything a training run needs."


def test_registries_cli_aliases(fake_oumi: OumiSource) -> None:
    doc = build.build_schema(fake_oumi)
    index = SchemaIndex(doc)
    assert index.registry_names("dataset") == ["tatsu-lab/alpaca", "yahma/alpaca-cleaned"]
    assert index.registered("dataset", "TATSU-LAB/Alpaca")  # oumi's look-up is case-insensitive
    assert [r["name"] for r in index.registry("model")] == ["MlpEncoder"]
    assert [r["name"] for r in index.registry("trainer")] == ["TRL_SFT", "OUMI"]
    commands = {c["command"]: c for c in doc["cli"]}
    assert set(commands) == {"train", "tr", "launch up"} and commands["tr"]["hidden"]
    flags = [o["flags"] for o in commands["train"]["options"]]
    assert flags == [["--config", "-c"], ["--verbose", "-v"]]
    assert commands["train"]["options"][0]["help"] == "Path or name of the config."
    assert doc["aliases"]["smollm-135m"]["train"].endswith("135m/train.yaml")
    assert doc["analyze_v1_fields"] == ["dataset_source", "processor_name"]


def test_api_docs_cover_public_modules_not_tests(fake_oumi: OumiSource) -> None:
    api = build.build_api(fake_oumi)
    assert (
        "oumi.builders.models" in api["modules"]
        and "oumi.core.tests.test_fake" not in api["modules"]
    )
    fn = next(e for e in api["entries"] if e["n"] == "build_model")
    assert fn["s"] == "(model_params, peft_params=None, **kwargs)"
    assert fn["d"] == "Build a model from its params."
    mlp = next(e for e in api["entries"] if e["n"] == "MLPEncoder")
    assert mlp["s"] == "(size: int=8) -> None"


def test_cache_on_disk_per_version(fake_oumi: OumiSource, monkeypatch: pytest.MonkeyPatch) -> None:
    cache.clear_memory()
    monkeypatch.setattr(cache, "_source", fake_oumi)
    first = cache.schema()
    files = sorted(p.name for p in cache.index_dir().glob("schema-*.json"))
    assert files == ["schema-0.0-test-fake0001-f1.json"]
    cache._memory.clear()
    cache._schema.clear()

    def no_build(*args: object) -> dict[str, object]:
        raise AssertionError("rebuilt although the disk cache is current")

    monkeypatch.setattr(build, "build_schema", no_build)
    assert cache.schema().doc == first.doc  # read back from disk
    monkeypatch.undo()
    newer = OumiSource(fake_oumi.root, "0.0-test2", "fake0002")
    monkeypatch.setattr(cache, "_source", newer)
    assert cache.schema().doc["fingerprint"] == "fake0002"
    files = sorted(p.name for p in cache.index_dir().glob("schema-*.json"))
    assert files == ["schema-0.0-test2-fake0002-f1.json"]  # the stale one is gone
    cache.clear_memory()


def test_corrupt_cache_file_is_rebuilt(
    fake_oumi: OumiSource, monkeypatch: pytest.MonkeyPatch
) -> None:
    cache.clear_memory()
    monkeypatch.setattr(cache, "_source", fake_oumi)
    path = cache.index_dir() / "schema-0.0-test-fake0001-f1.json"
    path.write_text("{not json")
    assert cache.schema().kinds["training"]["command"] == "train"
    assert json.loads(path.read_text())["fingerprint"] == "fake0001"
    cache.clear_memory()


def test_real_index_imports_no_oumi_or_torch(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from oumi_mcp_server.oumi_index import cache, service\n"
        "index = cache.schema()\n"
        "assert len(index.classes) > 50 and index.registry_names('dataset')\n"
        "assert service.get_docs('learning_rate').results\n"
        "heavy = [m for m in ('oumi', 'torch', 'transformers') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    env = {"OUMI_MCP_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert list(tmp_path.glob("oumi-index/schema-*.json")) and list(
        tmp_path.glob("oumi-index/api-*.json")
    )
