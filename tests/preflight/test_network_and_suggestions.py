"""Hub access findings (without a network), SkyPilot's bounded check, catalog suggestions."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from oumi_mcp_server.preflight import hub, remote
from oumi_mcp_server.preflight.service import run_preflight

from .conftest import training_yaml

pytestmark = pytest.mark.usefixtures("oumi_warm")


def test_gated_and_missing_hub_models(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_TOKEN", "hf_secretsecretsecretsecretsecret")
    monkeypatch.setattr(hub, "offline_reason", lambda: None)
    answers = {
        "meta-llama/Llama-3.1-8B": hub.RepoStatus("gated"),
        "org/gone-1B": hub.RepoStatus("not_found"),
    }
    monkeypatch.setattr(
        hub, "repo_status", lambda repo, kind: answers.get(repo, hub.RepoStatus("ok"))
    )
    r = run_preflight(training_yaml(model="meta-llama/Llama-3.1-8B"), str(project))
    gated = next(f for f in r.findings if f.code == "model_gated")
    assert not r.ready and "huggingface.co/meta-llama/Llama-3.1-8B" in gated.fix
    assert "hf_secret" not in r.model_dump_json()
    r = run_preflight(training_yaml(model="org/gone-1B"), str(project))
    assert any(f.code == "model_not_on_hub" for f in r.findings)
    assert "hub_models" in r.checks_run


def test_sky_check_bounded_and_cached(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    release = threading.Event()
    calls: list[int] = []

    def slow() -> list[str]:
        calls.append(1)
        release.wait(20)
        return ["gcp"]

    remote.clear_cache()
    monkeypatch.setattr(remote, "_sky_enabled_clouds", slow)
    monkeypatch.setattr(remote, "SKY_TIMEOUT_S", 0.2)
    r = run_preflight(training_yaml(), str(project), "gcp")
    assert {s.name: s.reason for s in r.checks_skipped}["cloud"].startswith("timed out")
    release.set()
    r = run_preflight(training_yaml(), str(project), "gcp")
    assert "cloud" in r.checks_run and any(f.code == "cloud_enabled" for f in r.findings)
    assert len(calls) == 1  # the answer of the first (slow) check was kept
    remote.clear_cache()


def test_suggestions_from_a_tiny_catalog(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    catalog = tmp_path / "configs"
    for rel, model in (
        ("recipes/smollm/sft/135m/train.yaml", "HuggingFaceTB/SmolLM2-135M"),
        ("recipes/smollm/sft/135m_lora/train.yaml", "HuggingFaceTB/SmolLM2-135M"),
        ("recipes/llama3_1/sft/8b_lora/train.yaml", "meta-llama/Llama-3.1-8B"),
    ):
        (catalog / rel).parent.mkdir(parents=True, exist_ok=True)
        (catalog / rel).write_text(
            f"# {rel}\nmodel:\n  model_name: {model}\ndata:\n  train:\n"
            "    datasets:\n      - dataset_name: x\ntraining:\n"
            "  trainer_type: TRL_SFT\n"
        )
    monkeypatch.setenv("OUMI_MCP_CONFIGS_DIR", str(catalog))
    r = run_preflight(training_yaml(dataset="data/nope.jsonl"), str(project))
    assert not r.ready and 1 <= len(r.suggested_recipes) <= 3
    assert any("smollm" in s for s in r.suggested_recipes)
    ok = run_preflight(training_yaml(), str(project))
    assert ok.ready and ok.suggested_recipes == []
