"""Schema validation quotes keys short, stays bounded on absurd configs, and knows Oumi's keys."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from oumi_mcp_server.core.echo import KEY_CHARS
from oumi_mcp_server.oumi_index import cache
from oumi_mcp_server.preflight.loading import OUMI_TOP_LEVEL_KEYS, load_config
from oumi_mcp_server.preflight.schema import validate_schema
from oumi_mcp_server.preflight.service import validate_config
from oumi_mcp_server.preflight.structure import MAX_UNKNOWN_KEYS

from .conftest import training_yaml
from .test_loading import shadow_lines

pytestmark = pytest.mark.usefixtures("oumi_warm")


def test_top_level_keys_are_those_of_oumis_config_classes() -> None:
    """The loader's list = the fields of every class oumi's CLI loads (read from oumi itself),
    plus the old analyze format's (refused with its own finding, not as "not an Oumi config")."""
    import oumi.core.configs as configs
    from oumi.analyze.config import TypedAnalyzeConfig

    index = cache.schema()
    classes = {index.kinds[k]["class"] for k in index.kinds}
    real = {
        configs.TrainingConfig,
        configs.EvaluationConfig,
        configs.AsyncEvaluationConfig,
        configs.InferenceConfig,
        configs.SynthesisConfig,
        configs.JudgeConfig,
        configs.QuantizationConfig,
        configs.TuningConfig,
        configs.JobConfig,
        TypedAnalyzeConfig,
    }
    assert classes == {f"{c.__module__}.{c.__qualname__}" for c in real}
    names = {f.name for cls in real | {configs.AnalyzeConfig} for f in dataclasses.fields(cls)}
    assert names == OUMI_TOP_LEVEL_KEYS
    assert (
        index.top_level_keys() | {f.name for f in dataclasses.fields(configs.AnalyzeConfig)}
        == names
    )


def test_shadow_file_validated_as_training_is_refused_unquoted(tmp_path: Path) -> None:
    (tmp_path / "shadow").write_text(shadow_lines())
    report = validate_config(str(tmp_path / "shadow"), str(tmp_path), task_type="training")
    assert not report.valid and [f.code for f in report.findings] == ["not_oumi_config"]
    assert "$6$" not in report.model_dump_json()


def test_unknown_keys_are_quoted_short_and_escaped(tmp_path: Path) -> None:
    secretish = "root:$6$s4lt$" + "H" * 200
    text = training_yaml() + f"'{secretish}': 1\n\"\\e[31mred\": 2\n"
    report = validate_config(text, str(tmp_path), task_type="training")
    unknown = [f for f in report.findings if f.code == "unknown_key"]
    assert len(unknown) == 2
    dumped = report.model_dump_json()
    assert "H" * (KEY_CHARS + 1) not in dumped and "\x1b" not in dumped
    assert all(len(f.message) < 200 for f in unknown)
    assert all(f.location and len(f.location.key or "") <= 2 * KEY_CHARS + 1 for f in unknown)


def test_thousands_of_unknown_keys_stop_at_a_cap(tmp_path: Path) -> None:
    junk = "".join(f"  junk_key_{i}: {i}\n" for i in range(3000))
    text = training_yaml().replace("training:\n", "training:\n" + junk)
    loaded, _ = load_config(text, str(tmp_path))
    result = validate_schema(loaded, "training")
    unknown = [f for f in result.findings if f.code == "unknown_key"]
    assert len(unknown) == MAX_UNKNOWN_KEYS + 1 and "more unknown key" in unknown[-1].message
    assert result.config is None


def test_odd_path_values_do_not_crash_validation(tmp_path: Path) -> None:
    text = training_yaml(output_dir="~no_such_user_here/out").replace(
        "model_name: HuggingFaceTB/SmolLM2-135M", "model_name: " + "m" * 300 + "/x"
    )
    report = validate_config(text, str(tmp_path))
    assert report.task_type == "training"
