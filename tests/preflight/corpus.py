"""Mistakes a user makes in Oumi configs, each with the finding it must produce.

Every case is a small config of one kind with one mistake. `oumi` says what oumi's own CLI loader
does with it ("reject" / "accept"; the oracle test checks that with oumi in a subprocess), `api`
which of our tools must say `code` ("validate": validate_config, "preflight": pre_flight_check
run locally), and `missing` names packages to treat as not installed for the case.
"""

from __future__ import annotations

from dataclasses import dataclass

TRAIN = """\
model:
  model_name: HuggingFaceTB/SmolLM2-135M
  model_max_length: 512
data:
  train:
    datasets:
      - dataset_name: text_sft_jsonl
        dataset_path: data/train.jsonl
training:
  trainer_type: TRL_SFT
  per_device_train_batch_size: 2
  max_steps: 5
  learning_rate: 2.0e-05
  output_dir: output/run1
"""
LORA = TRAIN.replace("  output_dir: output/run1\n", "  output_dir: output/run1\n  use_peft: true\n")
LORA += "peft:\n  lora_r: 8\n  lora_alpha: 16\n  lora_target_modules: [q_proj, v_proj]\n"
INFER = """\
model:
  model_name: HuggingFaceTB/SmolLM2-135M
generation:
  max_new_tokens: 64
  seed: 42
engine: NATIVE
"""
EVAL = """\
model:
  model_name: HuggingFaceTB/SmolLM2-135M
tasks:
  - evaluation_backend: lm_harness
    task_name: mmlu_college_computer_science
    num_samples: 10
output_dir: output/eval
"""
JOB = """\
name: smoke
resources:
  cloud: gcp
  accelerators: "A100:1"
num_nodes: 1
run: oumi train -c train.yaml
"""
ANALYZE = """\
dataset_path: data/train.jsonl
output_path: output/analysis
analyzers:
  - type: length
    display_name: Length
  - type: turn_stats
tests:
  - id: long
    type: threshold
    metric: Length.total_tokens
    operator: ">"
    value: 8000
"""
TUNE = """\
model:
  model_name: HuggingFaceTB/SmolLM2-135M
data:
  train:
    datasets:
      - dataset_name: text_sft_jsonl
        dataset_path: data/train.jsonl
tuning:
  n_trials: 2
  tunable_training_params:
    learning_rate:
      type: loguniform
      low: 1.0e-05
      high: 1.0e-03
  output_dir: output/tune
"""
QUANT = """\
model:
  model_name: HuggingFaceTB/SmolLM2-135M
method: awq_q4_0
output_path: output/model_awq.pt
"""
JUDGE = """\
judge_params:
  prompt_template: "Is this helpful? {request} {response}"
  response_format: JSON
  judgment_type: BOOL
inference_config:
  model:
    model_name: gpt-4o
  engine: OPENAI
"""


@dataclass(frozen=True)
class Case:
    name: str
    text: str
    code: str
    oumi: str  # "reject" or "accept": oumi's CLI loader on this config
    api: str = "validate"
    severity: str = "error"
    missing: tuple[str, ...] = ()
    kind: str | None = None  # task_type passed explicitly (the keys alone do not tell)


def _sub(base: str, old: str, new: str) -> str:
    assert old in base, old
    return base.replace(old, new, 1)


CASES = (
    Case("typo_top_level", _sub(TRAIN, "training:", "trainig:"), "unknown_key", "reject"),
    Case(
        "typo_nested",
        _sub(TRAIN, "learning_rate:", "learning_rat:"),
        "unknown_key",
        "reject",
    ),
    Case(
        "typo_model_key", _sub(TRAIN, "model_max_length", "model_max_len"), "unknown_key", "reject"
    ),
    Case("int_word", _sub(TRAIN, "max_steps: 5", "max_steps: five"), "invalid_value", "reject"),
    Case("int_float", _sub(TRAIN, "max_steps: 5", "max_steps: 5.5"), "invalid_value", "reject"),
    Case(
        "float_word",
        _sub(TRAIN, "learning_rate: 2.0e-05", "learning_rate: fast"),
        "invalid_value",
        "reject",
    ),
    Case(
        "float_bool",
        _sub(TRAIN, "learning_rate: 2.0e-05", "learning_rate: true"),
        "invalid_value",
        "reject",
    ),
    Case(
        "enum_typo",
        _sub(TRAIN, "trainer_type: TRL_SFT", "trainer_type: TRL_SFTT"),
        "invalid_value",
        "reject",
    ),
    Case(
        "enum_lower_case",
        _sub(TRAIN, "trainer_type: TRL_SFT", "trainer_type: trl_sft"),
        "invalid_value",
        "reject",
    ),
    Case(
        "list_given_scalar",
        _sub(LORA, "lora_target_modules: [q_proj, v_proj]", "lora_target_modules: q_proj"),
        "invalid_value",
        "reject",
    ),
    Case(
        "section_given_scalar",
        TRAIN.split("training:")[0] + "training: 5\n",
        "invalid_value",
        "reject",
    ),
    Case(
        "null_not_optional",
        _sub(TRAIN, "output_dir: output/run1", "output_dir: null"),
        "invalid_value",
        "reject",
    ),
    Case(
        "missing_model_name",
        _sub(TRAIN, "  model_name: HuggingFaceTB/SmolLM2-135M\n", ""),
        "missing_value",
        "reject",
    ),
    Case(
        "dataset_without_name",
        _sub(
            TRAIN,
            "      - dataset_name: text_sft_jsonl\n        dataset_path",
            "      - dataset_path",
        ),
        "missing_value",
        "reject",
    ),
    Case(
        "dataset_as_string",
        _sub(
            TRAIN,
            "      - dataset_name: text_sft_jsonl\n        dataset_path: data/train.jsonl\n",
            "      - text_sft_jsonl\n",
        ),
        "invalid_value",
        "reject",
    ),
    Case(
        "duplicate_key",
        _sub(TRAIN, "  max_steps: 5\n", "  max_steps: 5\n  max_steps: 6\n"),
        "duplicate_key",
        "reject",
    ),
    Case(
        "int_key_in_str_mapping",
        _sub(
            TRAIN, "  model_max_length: 512\n", "  model_max_length: 512\n  model_kwargs: {1: 2}\n"
        ),
        "invalid_value",
        "reject",
    ),
    Case(
        "union_strict",
        _sub(TRAIN, "  max_steps: 5\n", "  max_steps: 5\n  dataloader_num_workers: 1.5\n"),
        "invalid_value",
        "reject",
    ),
    Case(
        "peft_without_use_peft",
        _sub(LORA, "  use_peft: true\n", ""),
        "peft_ignored",
        "accept",
        severity="warning",
    ),
    Case(
        "peft_with_use_peft_false",
        _sub(LORA, "  use_peft: true\n", "  use_peft: false\n"),
        "peft_ignored",
        "accept",
        severity="warning",
    ),
    Case(
        "dataset_file_missing",
        _sub(TRAIN, "data/train.jsonl", "data/nope.jsonl"),
        "dataset_not_found",
        "reject",
    ),
    Case(
        "dataset_name_typo",
        _sub(
            TRAIN,
            "dataset_name: text_sft_jsonl\n        dataset_path: data/train.jsonl",
            "dataset_name: text_sft_jsnol",
        ),
        "dataset_unknown",
        "accept",
        api="preflight",
        severity="warning",
    ),
    Case(
        "qlora_without_bitsandbytes",
        LORA + "  q_lora: true\n",
        "package_missing",
        "accept",
        api="preflight",
        missing=("bitsandbytes",),
    ),
    Case(
        "deepspeed_not_installed",
        TRAIN + "deepspeed:\n  enable_deepspeed: true\n",
        "package_missing",
        "accept",
        api="preflight",
        missing=("deepspeed",),
    ),
    Case(
        "gated_model_offline",
        _sub(TRAIN, "HuggingFaceTB/SmolLM2-135M", "meta-llama/Llama-3.1-8B-Instruct"),
        "model_unavailable_offline",
        "accept",
        api="preflight",
    ),
    Case(
        "unknown_model_offline",
        _sub(TRAIN, "HuggingFaceTB/SmolLM2-135M", "someone/does-not-exist-7b"),
        "model_unavailable_offline",
        "accept",
        api="preflight",
    ),
    Case(
        "flash_attention_here",
        _sub(
            TRAIN,
            "  model_max_length: 512\n",
            "  model_max_length: 512\n  attn_implementation: flash_attention_2\n",
        ),
        "hardware_unsupported_locally",
        "reject",  # on a machine without a CUDA GPU and flash-attn (the test skips elsewhere)
    ),
    Case("engine_typo", _sub(INFER, "engine: NATIVE", "engine: VLLMM"), "invalid_value", "reject"),
    Case(
        "engine_not_installed",
        _sub(INFER, "engine: NATIVE", "engine: VLLM"),
        "package_missing",
        "accept",
        api="preflight",
        missing=("vllm",),
    ),
    Case(
        "generation_int_word",
        _sub(INFER, "max_new_tokens: 64", "max_new_tokens: many"),
        "invalid_value",
        "reject",
    ),
    Case("optional_int_float", _sub(INFER, "seed: 42", "seed: 1.5"), "invalid_value", "reject"),
    Case(
        "lm_harness_offline",
        EVAL,
        "eval_data_needs_hub",
        "accept",
        api="preflight",
    ),
    Case(
        "eval_task_typo",
        _sub(EVAL, "task_name:", "task_nam:"),
        "unknown_key",
        "reject",
    ),
    Case(
        "eval_samples_word",
        _sub(EVAL, "num_samples: 10", "num_samples: ten"),
        "invalid_value",
        "reject",
    ),
    Case(
        "tune_without_optuna",
        TUNE,
        "package_missing",
        "accept",
        api="preflight",
        missing=("optuna",),
    ),
    Case(
        "job_without_run",
        _sub(JOB, "run: oumi train -c train.yaml\n", ""),
        "missing_value",
        "reject",
    ),
    Case(
        "job_resources_scalar",
        _sub(JOB, 'resources:\n  cloud: gcp\n  accelerators: "A100:1"\n', "resources: gcp\n"),
        "invalid_value",
        "reject",
    ),
    Case("job_nodes_word", _sub(JOB, "num_nodes: 1", "num_nodes: two"), "invalid_value", "reject"),
    Case(
        "analyzer_key_typo",
        _sub(ANALYZE, "display_name: Length", "display_nam: Length"),
        "unknown_key",
        "reject",
    ),
    Case(
        "analyzer_legacy_id",
        _sub(ANALYZE, "  - type: turn_stats\n", "  - id: turn_stats\n"),
        "analyzer_legacy_id",
        "reject",
    ),
    Case(
        "analyze_v1_format",
        ANALYZE + "dataset_source: CONVERSATION\n",
        "analyze_config_v1",
        "reject",
    ),
    Case(
        "analyze_ignored_key",
        _sub(ANALYZE, "output_path:", "sample_cnt: 10\noutput_path:"),
        "ignored_key",
        "accept",
        severity="warning",
    ),
    Case(
        "analyzer_duplicate_id",
        _sub(ANALYZE, "  - type: turn_stats\n", "  - type: quality\n    display_name: Length\n"),
        "analyzer_duplicate_id",
        "reject",
    ),
    Case(
        "analyze_test_typo",
        _sub(ANALYZE, "operator:", "operater:"),
        "unknown_key",
        "reject",
    ),
    Case(
        "analyze_custom_code",
        ANALYZE
        + "custom_metrics:\n  - id: ratio\n    function: |\n"
        + "      def compute(c):\n        return {}\n",
        "custom_code_refused",
        "reject",
    ),
    Case(
        "analyzer_type_typo",
        _sub(ANALYZE, "type: turn_stats", "type: turn_stat"),
        "analyzer_unknown",
        "accept",
        severity="warning",
    ),
    Case(
        "awq_not_installed",
        QUANT,
        "package_missing",
        "accept",
        api="preflight",
        missing=("awq",),
    ),
    Case(
        "judge_without_params",
        _sub(JUDGE, JUDGE.split("inference_config:")[0], ""),
        "missing_value",
        "reject",
        kind="judge",
    ),
)

BASES = {
    "training": TRAIN,
    "lora": LORA,
    "inference": INFER,
    "job": JOB,
    "analyze": ANALYZE,
    "judge": JUDGE,
}
