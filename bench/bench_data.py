"""Data tools benchmark: inspect_dataset on 100k chat rows (read whole) and on a 1 GB JSONL
(sampled), with the tiny demo model's tokenizer. Prints medians over several runs.

Usage: .venv/bin/python bench/bench_data.py [--runs N] [--gb SIZE]
Targets (issue 11): 100k rows <= 2 s; 1 GB JSONL <= 5 s, sampled, with token percentiles.
The 1 GB file is written under /tmp and deleted at the end.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

WORDS = [
    "the",
    "model",
    "learns",
    "to",
    "answer",
    "short",
    "questions",
    "about",
    "cats",
    "dogs",
    "paris",
    "ice",
    "water",
]


def _rows(n: int, seed: int = 0) -> list[bytes]:
    rng = random.Random(seed)
    out = []
    for i in range(n):
        q = " ".join(rng.choices(WORDS, k=rng.randint(3, 20)))
        a = " ".join(rng.choices(WORDS, k=rng.randint(5, 60)))
        row = {
            "messages": [
                {"role": "user", "content": f"{i} {q}?"},
                {"role": "assistant", "content": a},
            ]
        }
        out.append(json.dumps(row).encode() + b"\n")
    return out


def _time(fn: object, runs: int) -> tuple[float, float, object]:
    """Median wall and CPU seconds (CPU: this process, all threads; shows contention)."""
    walls, cpus, answer = [], [], None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        answer = fn()  # type: ignore[operator]
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus), answer


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--gb", type=float, default=1.0)
    args = parser.parse_args()
    from oumi_mcp_server.data.inspect import inspect_dataset
    from oumi_mcp_server.demo.assets import build_tiny_assets

    root = Path(tempfile.mkdtemp(prefix="bench-data-", dir="/tmp"))
    try:
        tok = str(build_tiny_assets(root / "tiny").model_dir)
        small = root / "rows100k.jsonl"
        rows = _rows(100_000)
        small.write_bytes(b"".join(rows))
        median, cpu, answer = _time(
            lambda: inspect_dataset(str(small), "", str(root), tok), args.runs
        )
        print(
            f"100k rows ({small.stat().st_size / 1e6:.0f} MB), tiny tokenizer: "
            f"median {median:.2f} s wall, {cpu:.2f} s CPU (target <= 2 s)"
        )
        print(f"  {_summary(answer)}")
        big = root / "big.jsonl"
        block = b"".join(rows[:20_000])
        with big.open("wb") as fh:
            while fh.tell() < args.gb * 1024**3:
                fh.write(block)
        median, cpu, answer = _time(
            lambda: inspect_dataset(str(big), "", str(root), tok), args.runs
        )
        print(
            f"{big.stat().st_size / 1024**3:.2f} GB JSONL, tiny tokenizer: "
            f"median {median:.2f} s wall, {cpu:.2f} s CPU (target <= 5 s)"
        )
        print(f"  {_summary(answer)}")
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _summary(answer: object) -> str:
    a = answer.model_dump()  # type: ignore[attr-defined]
    t = a["tokens"] or {}
    return (
        f"rows {a['rows']:,} (exact={a['rows_exact']}) read {a['rows_read']:,} "
        f"sampled={a['sampled']} tokens p50/p90/p99/max "
        f"{t.get('p50')}/{t.get('p90')}/{t.get('p99')}/{t.get('max')} "
        f"over {t.get('model_max_length')}: {t.get('share_over_max')}"
    )


if __name__ == "__main__":
    main()
