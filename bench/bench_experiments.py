"""Experiment benchmarks (medians over several runs, printed; not a test).

    .venv/bin/python bench/bench_experiments.py [--runs 21] [--steps 1000] [--others 1000]

Seeds 10 finished train runs in a private state dir, each as a real run leaves it: a config
snapshot (~60 keys, the learning rate given as an override), a trainer_state.json of `--steps`
logged steps (plus 2 checkpoints), two evaluations in its output dir, and for half of them a
linked evaluate job; plus `--others` unrelated finished jobs in the store (the link scan reads
them). Targets on the 2-core box (issue 11): get_results and compare_runs over 10 runs, warm,
<= 50 ms each. Also shown: compare_runs without the report, and the plot=true PNG.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

RUNS = 10


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def _config(i: int, out: Path) -> str:
    """An oumi train config of the usual size (~60 keys)."""
    blocks: dict[str, dict[str, Any]] = {
        "model": {"model_name": "tiny-llama", "model_max_length": 256, "torch_dtype_str": "float32"}
        | {"trust_remote_code": False, "attn_implementation": "sdpa"},
        "data": {"train": {"datasets": [{"dataset_name": "text_sft_jsonl", "dataset_path": "d"}]}},
        "training": {f"opt_{k}": k for k in range(40)}
        | {"learning_rate": 1e-4, "output_dir": str(out), "max_steps": 1000, "seed": i % 3},
        "peft": {"lora_r": 8, "lora_alpha": 16, "lora_target_modules": ["q_proj", "v_proj"]},
    }
    import yaml

    return yaml.safe_dump(blocks)


def _history(steps: int, lr: float) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for s in range(1, steps + 1):
        rows.append(
            {"loss": 5.0 - s * lr * 10, "grad_norm": 2.1, "learning_rate": lr, "step": s}
            | {"entropy": 3.5, "epoch": s / 100, "mean_token_accuracy": 0.48, "num_tokens": 1e3 * s}
        )
        if s % 100 == 0:
            rows.append({"eval_loss": 5.2 - s * lr * 10, "eval_runtime": 1.0, "step": s})
    rows.append({"train_runtime": 100.0, "train_samples_per_second": 8.0, "step": steps})
    return rows


def _record(job_id: str, command: str, run_dir: Path, out: Path, **kw: Any) -> Any:
    from oumi_mcp_server.jobs.record import JobRecord

    return JobRecord(
        id=job_id,
        name=job_id,
        command=command,
        backend="local",
        backend_job_id=job_id,
        submitted_at=time.time() - 2000,
        run_dir=str(run_dir),
        output_dir=str(out),
        **kw,
    )


def _finish(run_dir: Path, started: float) -> None:
    state = {"phase": "exited", "exit_code": 0, "started_at": started, "ended_at": time.time()}
    (run_dir / "state.json").write_text(json.dumps(state))


def _seed(service: Any, tmp: Path, steps: int, others: int) -> list[str]:
    from oumi_mcp_server.jobs import runfolder

    started = time.time() - 1000
    ids = []
    records = []
    for i in range(RUNS):
        job_id = f"train-cmp-{i:02d}"
        run_dir = runfolder.create_run_dir(service.root, job_id)
        out = tmp / job_id
        lr = (i + 1) * 1e-5
        state = {"global_step": steps, "max_steps": steps, "log_history": _history(steps, lr)}
        for sub in ("", f"checkpoint-{steps // 2}/", f"checkpoint-{steps}/"):
            (out / sub).mkdir(parents=True, exist_ok=True)
            (out / sub / "trainer_state.json").write_text(json.dumps(state, indent=2))
        for k in range(2):
            task = out / f"custom_20260101_12000{k}"
            task.mkdir()
            result = {f"suite{k}": {"accuracy": 0.5 + i / 100, "accuracy_stderr": 0.01}}
            (task / "task_result.json").write_text(json.dumps({"results": result}))
        (run_dir / "config.yaml").write_text(_config(i, out))
        argv = ["oumi", "train", "-c", str(run_dir / "config.yaml")]
        argv += ["--training.learning_rate", str(lr)]
        _finish(run_dir, started)
        records.append(
            _record(
                job_id, "train", run_dir, out, config_path=str(run_dir / "config.yaml"), argv=argv
            )
        )
        ids.append(job_id)
        if i % 2 == 0:
            eval_id = f"evaluate-cmp-{i:02d}"
            eval_dir = runfolder.create_run_dir(service.root, eval_id)
            eval_out = tmp / eval_id / "custom_20260101_120000"
            eval_out.mkdir(parents=True)
            result = {"heldout": {"loss": 2.0 - i / 100, "perplexity": 7.0}}
            (eval_out / "task_result.json").write_text(json.dumps({"results": result}))
            _finish(eval_dir, started)
            records.append(_record(eval_id, "evaluate", eval_dir, eval_out.parent, model=str(out)))
    for i in range(others):
        job_id = f"other-{i:05d}"
        run_dir = runfolder.create_run_dir(service.root, job_id)
        _finish(run_dir, started)
        command = "evaluate" if i % 4 == 0 else "train"
        records.append(_record(job_id, command, run_dir, tmp / "elsewhere" / job_id, model="hub/m"))
    service.store.insert_many(records)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--steps", type=int, default=1000)
    parser.add_argument("--others", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-experiments-") as tmp_name:
        tmp = Path(tmp_name)
        os.environ["OUMI_MCP_STATE_DIR"] = str(tmp / "state")
        os.environ["OUMI_MCP_CACHE_DIR"] = str(tmp / "cache")
        from oumi_mcp_server.experiments import compare
        from oumi_mcp_server.jobs import results as job_results
        from oumi_mcp_server.jobs.service import JobService

        service = JobService()
        ids = _seed(service, tmp, args.steps, args.others)
        found = compare.compare(service, ids)  # warm: imports, caches, report folder
        assert len(found.answer.runs) == RUNS and found.answer.report_path
        job_results.get_results(service, ids[0])
        times = {
            "get_results, warm (ms)": _median_ms(
                lambda: job_results.get_results(service, ids[0]), args.runs
            ),
            f"compare_runs {RUNS} runs, warm (ms)": _median_ms(
                lambda: compare.compare_runs(service, ids), args.runs
            ),
            f"compare_runs {RUNS} runs, no report (ms)": _median_ms(
                lambda: compare.compare(service, ids, report=False), args.runs
            ),
        }
        changing = tmp / ids[-1] / "custom_20260101_120000" / "task_result.json"
        stamps = itertools.count(1)

        def one_changed() -> object:
            at = time.time() - 500 + next(stamps) / 1000  # rewritten within the run's window
            os.utime(changing, (at, at))
            return compare.compare_runs(service, ids)

        times[f"compare_runs {RUNS} runs, 1 changed (ms)"] = _median_ms(one_changed, args.runs)
        found.loss_png()
        times["plot=true PNG, warm (ms)"] = _median_ms(found.loss_png, max(3, args.runs // 4))
        size = len(found.answer.model_dump_json())
    load = os.getloadavg()[0]
    print(f"load {load:.1f}; {RUNS} runs x {args.steps} steps, {args.others} other jobs")
    for name, value in times.items():
        print(f"  {name:<40} {value:8.1f}")
    print(f"  {'answer bytes':<40} {size:8d}")
    if args.json:
        json.dump(times | {"answer_bytes": size, "load": load}, sys.stdout)
        print()


if __name__ == "__main__":
    main()
