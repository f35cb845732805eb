"""One sweep point with evaluate-after-train, in ONE python process: oumi's train, then oumi's
evaluate on the model it just saved (oumi's imports, ~15 s on a small CPU, are paid once).

    python -m oumi_mcp_server.experiments.point --sweep-train CONFIG [--key value ...]
        --sweep-evaluate EVAL_CONFIG [--key value ...]

Configs are loaded as `oumi train` / `oumi evaluate` load them (`from_yaml_and_arg_list`, then
`finalize_and_validate`), with the same seeding and environment. A failed training exits non-zero
before any evaluation; the exit code is the job's outcome (the supervisor records it).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

TRAIN_MARK, EVAL_MARK = "--sweep-train", "--sweep-evaluate"
"""Separators in the argv: never an override key (keys have no '-') nor a value (refused)."""


def split_argv(argv: Sequence[str]) -> tuple[str, list[str], str, list[str]]:
    """(train config, its `key=value` overrides, eval config, its overrides)."""
    if len(argv) < 4 or argv[0] != TRAIN_MARK or EVAL_MARK not in argv:
        raise SystemExit(f"usage: {TRAIN_MARK} CONFIG [--k v ...] {EVAL_MARK} CONFIG [--k v ...]")
    cut = list(argv).index(EVAL_MARK)
    train, evaluate = list(argv[1:cut]), list(argv[cut + 1 :])
    return train[0], _pairs(train[1:]), evaluate[0], _pairs(evaluate[1:])


def _pairs(args: list[str]) -> list[str]:
    """`["--a.b", "1"]` -> `["a.b=1"]`, as oumi's CLI passes extra arguments to its loader."""
    if len(args) % 2 or any(not k.startswith("--") for k in args[::2]):
        raise SystemExit(f"overrides must be --key value pairs: {args[:4]}")
    return [f"{k[2:]}={v}" for k, v in zip(args[::2], args[1::2], strict=True)]


def main(argv: Sequence[str] | None = None) -> int:
    train_path, train_args, eval_path, eval_args = split_argv(list(argv or sys.argv[1:]))
    import os

    os.environ.setdefault("ACCELERATE_LOG_LEVEL", "info")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    from oumi import evaluate, train
    from oumi.core.configs import EvaluationConfig, TrainingConfig
    from oumi.core.distributed import set_random_seeds
    from oumi.utils.torch_utils import device_cleanup

    config = TrainingConfig.from_yaml_and_arg_list(train_path, train_args)
    config.finalize_and_validate()
    set_random_seeds(config.training.seed, config.training.use_deterministic)
    print(f"[sweep point] training {train_path}", flush=True)
    train(config)
    device_cleanup()
    eval_config = EvaluationConfig.from_yaml_and_arg_list(eval_path, eval_args)
    eval_config.finalize_and_validate()
    print(f"[sweep point] evaluating into {eval_config.output_dir}", flush=True)
    results = evaluate(eval_config)
    for result in results:
        print(f"[sweep point] results: {result.get('results')}", flush=True)
    device_cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
