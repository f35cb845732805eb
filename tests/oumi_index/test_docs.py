"""get_docs and list_modules over the installed oumi's index: right answers first, bounded."""

from __future__ import annotations

import pytest

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.oumi_index import service

MAX_ANSWER = 8_000


def _size(answer: object) -> int:
    return service.shown_size(answer)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("query", "kind", "qualname_end"),
    [
        ("learning_rate", None, "TrainingParams.learning_rate"),
        ("TrainingConfig", None, "training_config.TrainingConfig"),
        ("lora_r", None, "PeftParams.lora_r"),
        ("peft.lora_r", None, "PeftParams.lora_r"),
        ("tatsu-lab/alpaca", "dataset", "tatsu-lab/alpaca"),
        ("TRL_SFT", "trainer", "TRL_SFT"),
        ("VLLM", "engine", "VLLM"),
        ("oumi train", "cli", "oumi train"),
        ("build_model", None, "oumi.builders.models.build_model"),
        ("length", "analyzer", "length"),
    ],
)
def test_exact_names_come_first(query: str, kind: str | None, qualname_end: str) -> None:
    answer = service.get_docs(query, kind=kind)
    assert answer.results and answer.results[0].qualname.endswith(qualname_end), answer.results[:3]
    assert _size(answer) < MAX_ANSWER


def test_field_hit_says_type_default_and_yaml_key() -> None:
    hit = service.get_docs("learning_rate").results[0]
    assert hit.kind == "field" and hit.signature and "float" in hit.signature
    assert "training: training.learning_rate" in hit.yaml_keys and hit.summary


def test_config_hit_lists_its_fields_within_bounds() -> None:
    hit = service.get_docs("TrainingConfig", kind="config").results[0]
    assert any(f.startswith("model: ModelParams") for f in hit.fields)
    big = service.get_docs("TrainingParams", kind="dataclass").results[0]
    assert len(big.fields) <= service.TOP_DETAIL and big.more_fields > 0


def test_words_filters_and_bounds() -> None:
    answer = service.get_docs("lora", limit=25)
    assert answer.total_matches > 10 and _size(answer) < MAX_ANSWER
    only = service.get_docs("dataset", module="oumi.core.configs.params.data_params")
    assert only.results and all("data_params" in h.qualname for h in only.results)
    fields = service.get_docs("max steps", kind="field")
    assert fields.results[0].name == "max_steps" and {h.kind for h in fields.results} == {"field"}


def test_no_match_suggests_near_names() -> None:
    answer = service.get_docs("lerning_rate")
    assert answer.results == [] and "learning_rate" in answer.did_you_mean and answer.hint


@pytest.mark.parametrize(
    ("args", "code"),
    [
        ({"query": "  "}, "empty_query"),
        ({"query": "lora", "kind": "recipe"}, "bad_kind"),
        ({"query": "lora", "limit": 0}, "bad_limit"),
        ({"query": "lora", "limit": 500}, "bad_limit"),
    ],
)
def test_bad_arguments_are_structured_errors(args: dict[str, object], code: str) -> None:
    with pytest.raises(ServiceError) as err:
        service.get_docs(**args)  # type: ignore[arg-type]
    assert err.value.code == code and err.value.fix


def test_list_modules_is_a_bounded_map() -> None:
    answer = service.list_modules()
    packages = {p.package for p in answer.packages}
    assert {"oumi.core", "oumi.datasets", "oumi.cli"} <= packages
    assert answer.config_kinds["training"] == "TrainingConfig"
    assert answer.registries["dataset"] > 50 and answer.registries["trainer"] >= 5
    assert answer.cli_commands > 20 and answer.total_entries > 1000
    assert _size(answer) < MAX_ANSWER
