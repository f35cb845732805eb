"""validate_config and run_preflight on a corpus of broken configs written by the tests."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import pytest

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.preflight import hub
from oumi_mcp_server.preflight.models import PreflightReport
from oumi_mcp_server.preflight.service import run_preflight, validate_config

from .conftest import snapshot, training_yaml

pytestmark = pytest.mark.usefixtures("oumi_warm")


def codes(report: PreflightReport) -> dict[str, list]:
    out: dict[str, list] = {}
    for f in report.findings:
        out.setdefault(f.code, []).append(f)
    return out


def test_valid_config_and_task_type_inferred(project: Path) -> None:
    r = validate_config(training_yaml(), str(project))
    assert r.valid and r.task_type == "training" and r.task_type_inferred
    assert any(f.code == "task_type_inferred" for f in r.findings)


@pytest.mark.parametrize(
    ("yaml_text", "task"),
    [
        ("model:\n  model_name: gpt2\ngeneration:\n  max_new_tokens: 8\n", "inference"),
        (
            "model:\n  model_name: gpt2\ntasks:\n  - evaluation_backend: lm_harness\n"
            "    task_name: mmlu\n",
            "evaluation",
        ),
        ("name: x\nresources:\n  cloud: gcp\nrun: echo hi\n", "job"),
        ("model:\n  model_name: gpt2\nmethod: awq_q4_0\noutput_path: out.pt\n", "quantization"),
    ],
)
def test_task_type_inference(project: Path, yaml_text: str, task: str) -> None:
    r = validate_config(yaml_text, str(project))
    assert r.task_type == task, r.findings


def test_unknown_key_did_you_mean_with_location(project: Path) -> None:
    text = training_yaml().replace("per_device_train_batch_size", "per_device_train_batch_sizes")
    r = validate_config(text, str(project))
    f = next(f for f in r.findings if f.code == "unknown_key")
    assert not r.valid and "per_device_train_batch_size`?" in f.message
    assert f.location and f.location.line == 12 and f.location.column == 3


def test_wrong_types_all_reported(project: Path) -> None:
    text = training_yaml().replace("max_steps: 5", "max_steps: five\n  learning_rate: fast")
    r = validate_config(text, str(project))
    bad = [f for f in r.findings if f.code == "invalid_value"]
    assert {f.location.key for f in bad if f.location} == {
        "training.max_steps",
        "training.learning_rate",
    }
    assert all(f.location and f.location.line for f in bad)


def test_semantic_error_from_finalize_and_validate(project: Path) -> None:
    r = validate_config(
        training_yaml(extra="  trainer_type: TRL_DPO\n").replace("  trainer_type: TRL_SFT\n", ""),
        str(project),
    )
    assert r.valid or any(f.code == "config_invalid" for f in r.findings)
    r = validate_config("model:\n  model_name: gpt2\ntraining:\n  max_steps: 1\n", str(project))
    assert any(f.code == "config_invalid" and "dataset" in f.message for f in r.findings)


def test_explicit_task_type_is_checked(project: Path) -> None:
    with pytest.raises(ServiceError):
        validate_config(training_yaml(), str(project), task_type="cooking")
    r = validate_config(training_yaml(), str(project), task_type="inference")
    assert not r.valid and any(f.code == "unknown_key" for f in r.findings)


def test_missing_dataset_file(project: Path) -> None:
    r = run_preflight(training_yaml(dataset="data/nope.jsonl"), str(project))
    f = codes(r)["dataset_not_found"][0]
    assert not r.ready and f.location and f.location.key.endswith("dataset_path")
    assert f.location.line == 9
    v = validate_config(training_yaml(dataset="data/nope.jsonl"), str(project))
    assert [f.code for f in v.findings if f.severity == "error"] == ["dataset_not_found"]


def test_relative_dataset_resolved_against_client_cwd_not_server_cwd(
    project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server_cwd = tmp_path / "server"
    (server_cwd / "data").mkdir(parents=True)
    (server_cwd / "data" / "only_here.jsonl").write_text('{"a": 1}\n')
    monkeypatch.chdir(server_cwd)
    r = run_preflight(training_yaml(dataset="data/only_here.jsonl"), str(project))
    assert "dataset_not_found" in codes(r)
    assert validate_config(training_yaml(), str(project)).valid


def test_empty_dataset_and_bad_json_line(project: Path) -> None:
    (project / "data" / "empty.jsonl").write_text("")
    r = run_preflight(training_yaml(dataset="data/empty.jsonl"), str(project))
    assert "dataset_empty" in codes(r) and not r.ready
    lines = [json.dumps({"messages": []})] * 3 + ["{not json", json.dumps({"a": 1})]
    (project / "data" / "bad.jsonl").write_text("\n".join(lines) + "\n")
    r = run_preflight(training_yaml(dataset="data/bad.jsonl"), str(project))
    f = codes(r)["dataset_bad_json_line"][0]
    assert f.location and f.location.line == 4 and f.location.file.endswith("bad.jsonl")


def test_rows_counted(project: Path) -> None:
    r = run_preflight(training_yaml(), str(project))
    assert r.ready, r.findings
    assert "5 rows" in codes(r)["dataset_rows"][0].message


def test_model_dir_without_weights(project: Path) -> None:
    model = project / "my_model"
    model.mkdir()
    (model / "config.json").write_text(
        json.dumps({"hidden_size": 64, "num_hidden_layers": 2, "vocab_size": 100})
    )
    (model / "tokenizer.json").write_text("{}")
    r = run_preflight(training_yaml(model="./my_model"), str(project))
    f = codes(r)["model_dir_incomplete"][0]
    assert "weights" in f.message and f.location and f.location.key == "model.model_name"
    (model / "model.safetensors").write_bytes(b"\0" * 16)
    r = run_preflight(training_yaml(model="./my_model"), str(project))
    assert "model_dir_incomplete" not in codes(r)
    assert r.memory and r.memory.params_source == "config.json"


def test_output_dir_relative_missing_is_fine_unwritable_is_error(project: Path) -> None:
    for cloud in (None, "local", "slurm"):
        r = run_preflight(training_yaml(), str(project), cloud)
        assert not [
            f
            for f in r.findings
            if f.severity == "error"
            and f.location
            and (f.location.key or "").endswith("output_dir")
        ]
    (project / "blocker").write_text("a file")
    r = run_preflight(training_yaml(output_dir="blocker/run"), str(project))
    assert "output_not_writable" in codes(r)


def test_remote_run_local_paths_and_sync_excludes(project: Path, no_sky: list[str]) -> None:
    (project / ".gitignore").write_text("data/\n")
    r = run_preflight(training_yaml(), str(project), "aws")
    assert "path_excluded_from_sync" in codes(r)
    (project / ".skyignore").write_text("*.log\n")  # .skyignore replaces .gitignore
    r = run_preflight(
        training_yaml(dataset=str(project / "data" / "train.jsonl")), str(project), "aws"
    )
    assert "local_path_on_remote" in codes(r) and "path_excluded_from_sync" not in codes(r)
    assert "cloud_enabled" in codes(r) and no_sky


def test_packages_missing_locally_not_errors_for_remote(project: Path, no_sky: list[str]) -> None:
    text = training_yaml(extra="deepspeed:\n  enable_deepspeed: true\n")
    remote_r = run_preflight(text, str(project), "aws")
    assert all(f.severity != "error" for f in codes(remote_r).get("package_missing_locally", []))
    assert "package_missing" not in codes(remote_r)


def test_cloud_checks(project: Path, no_sky: list[str]) -> None:
    r = run_preflight(training_yaml(), str(project), "gcp")
    assert "cloud_not_enabled" in codes(r) and not r.ready
    for hpc in ("slurm", "polaris", "frontier", "perlmutter"):
        calls = len(no_sky)
        r = run_preflight(training_yaml(), str(project), hpc)
        skipped = {s.name: s.reason for s in r.checks_skipped}
        assert "not a SkyPilot cloud" in skipped["cloud"] and len(no_sky) == calls
    with pytest.raises(ServiceError):
        run_preflight(training_yaml(), str(project), "gcp; rm -rf /")


def test_offline_network_checks_skipped(project: Path) -> None:
    r = run_preflight(training_yaml(), str(project))
    skipped = {s.name: s.reason for s in r.checks_skipped}
    assert skipped["hub_models"].startswith("offline")


def test_unreachable_endpoint_is_offline(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    hub._online_cache.clear()
    r = run_preflight(training_yaml(), str(project))
    skipped = {s.name: s.reason for s in r.checks_skipped}
    assert "unreachable" in skipped["hub_models"]
    hub._online_cache.clear()


def test_job_config(project: Path, no_sky: list[str]) -> None:
    text = (
        "name: x\nworking_dir: .\nresources:\n  cloud: aws\n  accelerators: A100:4\n"
        "file_mounts:\n  /remote/data: ./missing_dir\n"
        "envs:\n  HF_TOKEN: hf_abcdefghijklmnopqrstuvwxyz123\n"
        "run: oumi train -c configs/train.yaml\n"
    )
    r = run_preflight(text, str(project), "aws")
    c = codes(r)
    assert r.task_type == "job" and "file_mount_source_missing" in c
    assert "run_config_not_found" in c and "secret_in_config" in c
    assert "hf_abcdefghij" not in r.model_dump_json()


def test_memory_compared_with_gpu_or_ram(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from oumi_mcp_server.preflight import hardware

    r = run_preflight(training_yaml(model="meta-llama/Llama-3.1-70B"), str(project))
    assert r.memory and "RAM" in r.memory.compared_with and "memory_insufficient" in codes(r)
    monkeypatch.setattr(hardware, "_local_devices", lambda: ([80 * 1024**3] * 2, "H100"))
    r = run_preflight(training_yaml(model="org/Small-135M"), str(project))
    assert r.memory and "H100" in r.memory.compared_with and "memory_fits" in codes(r)


def test_broken_corpus_never_crashes_and_writes_nothing(project: Path, tmp_path: Path) -> None:
    corpus = {
        "syntax.yaml": "model:\n  model_name: x\n training: [\n",
        "types.yaml": training_yaml().replace("max_steps: 5", "max_steps: [1, 2]"),
        "unknown.yaml": training_yaml().replace("output_dir", "output_dri"),
        "missing.yaml": training_yaml(dataset="data/missing.jsonl"),
        "bomb.yaml": "a: &a [1,1,1,1,1,1,1,1,1,1]\n"
        + "".join(
            f"{c}: &{c} [" + ",".join([f"*{p}"] * 10) + "]\n"
            for p, c in zip("abcdefg", "bcdefgh", strict=True)
        ),
        "binary.yaml": "\x00\x01\x02",
        "scalar.yaml": "just a string\n",
    }
    for name, text in corpus.items():
        (project / name).write_text(text)
    expected = {
        "syntax.yaml": "yaml_syntax",
        "types.yaml": "invalid_value",
        "unknown.yaml": "unknown_key",
        "missing.yaml": "dataset_not_found",
        "bomb.yaml": "yaml_alias_bomb",
        "binary.yaml": "config_binary",
        "scalar.yaml": "config_not_mapping",
    }
    before = snapshot(project, Path(os.environ["HOME"]), Path(os.environ["HF_HOME"]))
    tmp_before = set(os.listdir(tempfile.gettempdir()))
    for name, code in expected.items():
        for report in (validate_config(name, str(project)), run_preflight(name, str(project))):
            assert code in {f.code for f in report.findings}, (name, report.findings)
            assert len(report.model_dump_json()) < 8000
    assert snapshot(project, Path(os.environ["HOME"]), Path(os.environ["HF_HOME"])) == before
    assert set(os.listdir(tempfile.gettempdir())) <= tmp_before | set()


def test_findings_capped_with_truncated_flag(project: Path) -> None:
    keys = "".join(f"  bogus_key_{i}: 1\n" for i in range(40))
    text = training_yaml().replace("training:\n", "training:\n" + keys)
    r = run_preflight(text, str(project))
    assert r.truncated and r.counts.errors >= 40 and len(r.findings) <= 20
    assert len(r.model_dump_json()) < 8000


def test_suggestions_empty_without_catalog(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sys
    import types

    monkeypatch.setitem(sys.modules, "oumi_mcp_server.recipes.service", types.ModuleType("x"))
    r = run_preflight(training_yaml(dataset="data/nope.jsonl"), str(project))
    assert not r.ready and r.suggested_recipes == []
    fake = types.ModuleType("fake")
    fake.suggest_similar = lambda task, model, limit=3: [
        {"path": f"recipes/{task}/{i}.yaml"} for i in range(5)
    ]
    monkeypatch.setitem(sys.modules, "oumi_mcp_server.recipes.service", fake)
    r = run_preflight(training_yaml(dataset="data/nope.jsonl"), str(project))
    assert r.suggested_recipes == [f"recipes/training/{i}.yaml" for i in range(3)]


def test_finalize_never_reaches_the_hub(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Online settings: oumi's adapter and text_only look-ups must stay local (no request)."""
    import huggingface_hub.file_download as fd

    def no_network(*args: object, **kwargs: object) -> object:
        raise AssertionError("validation tried to reach the hub")

    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    monkeypatch.setattr(fd, "get_hf_file_metadata", no_network)
    monkeypatch.setattr(fd, "_httpx_follow_relative_redirects_with_backoff", no_network)
    text = training_yaml(model="org/NotCached-1B").replace(
        "  model_max_length: 512\n", "  model_max_length: 512\n  text_only: true\n"
    )
    r = validate_config(text, str(project))
    assert r.valid, r.findings


def test_flash_attention_missing_is_error_only_for_local_runs(
    project: Path, no_sky: list[str]
) -> None:
    text = training_yaml().replace(
        "  model_max_length: 512\n",
        "  model_max_length: 512\n  attn_implementation: flash_attention_2\n",
    )
    local = run_preflight(text, str(project))
    remote = run_preflight(text, str(project), "aws")
    sev = {
        r: [f.severity for f in x.findings if f.code == "hardware_unsupported_locally"]
        for r, x in (("local", local), ("remote", remote))
    }
    assert sev == {"local": ["error"], "remote": ["info"]}


def test_dataset_symlink_escaping_the_project(
    project: Path, tmp_path: Path, no_sky: list[str]
) -> None:
    outside = tmp_path / "outside.jsonl"
    outside.write_text('{"messages": []}\n')
    os.symlink(outside, project / "data" / "link.jsonl")
    local = run_preflight(training_yaml(dataset="data/link.jsonl"), str(project))
    assert local.ready and "path_outside_workspace" in codes(local)
    remote = run_preflight(training_yaml(dataset="data/link.jsonl"), str(project), "aws")
    f = codes(remote)["path_outside_workspace"][0]
    assert f.severity == "error" and not remote.ready
