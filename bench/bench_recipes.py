"""Recipe catalog benchmark on the snapshot: cold index build, disk-cache load, warm search and
get_config. Prints medians (and p95 for the per-call timings) over several runs.

Usage: .venv/bin/python bench/bench_recipes.py [CONFIGS_DIR] [--runs N]
Targets (issue 2): cold build < 1 s, search p50 < 5 ms warm.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

DEFAULT_DIR = Path(__file__).resolve().parents[1].parent / "shared" / "oumi-configs"
QUERIES = [
    {"query": "llama 3.1 8b lora", "task": "sft"},
    {"query": "qwen3 grpo"},
    {"query": "mmlu evaluation"},
    {"query": "gcp job a100"},
    {"query": "", "model": "meta-llama/Llama-3.1-8B-Instruct", "task": "sft"},
    {"query": "vision qwen2.5 vl sft"},
    {"query": "dpo"},
    {"query": "synthesis", "keyword": "anthropic"},
]
GETS = ["recipes/llama3_1/sft/8b_lora/train.yaml", "llama3_1/sft/8b_lora", "qwen3/sft/0.6b_full"]


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    return f"p50 {statistics.median(values) * 1000:7.2f} ms   p95 {p95 * 1000:7.2f} ms"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("configs", nargs="?", default=str(DEFAULT_DIR))
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    root = Path(args.configs).resolve()
    if not root.is_dir():
        sys.exit(f"no recipe folder at {root}")
    os.environ["OUMI_MCP_CONFIGS_DIR"] = str(root)
    os.environ["OUMI_MCP_CONFIGS_AUTO_SYNC"] = "0"
    os.environ["OUMI_MCP_CACHE_DIR"] = tempfile.mkdtemp(prefix="bench-recipes-")

    from oumi_mcp_server.recipes import service
    from oumi_mcp_server.recipes.catalog import Catalog

    cold, cached = [], []
    for _ in range(args.runs):
        start = time.perf_counter()
        catalog = Catalog.load(root, "bench", use_cache=False)
        cold.append(time.perf_counter() - start)
        start = time.perf_counter()
        Catalog.load(root, "bench")
        cached.append(time.perf_counter() - start)
    print(f"recipes indexed: {len(catalog.recipes)} under {root}")
    print(
        f"cold index build (parse every file): median {statistics.median(cold) * 1000:7.1f} ms"
        f"  (target < 1000 ms)"
    )
    print(f"load from disk index cache:         median {statistics.median(cached) * 1000:7.1f} ms")

    service.reload()
    service.list_categories()
    searches, sizes = [], []
    for _ in range(args.runs * 4):
        for query in QUERIES:
            start = time.perf_counter()
            answer = service.search(**query)  # type: ignore[arg-type]
            searches.append(time.perf_counter() - start)
            sizes.append(len(answer.model_dump_json(indent=2)))
    gets, get_sizes = [], []
    for _ in range(args.runs * 4):
        for path in GETS:
            start = time.perf_counter()
            got = service.get_config(path)
            gets.append(time.perf_counter() - start)
            get_sizes.append(len(got.model_dump_json(indent=2)))
    print(f"search (warm, {len(searches)} calls):   {_ms(searches)}   (target p50 < 5 ms)")
    print(f"get_config (warm, {len(gets)} calls):   {_ms(gets)}")
    print(f"answer size: search max {max(sizes)} B, get_config max {max(get_sizes)} B (limit 8192)")


if __name__ == "__main__":
    main()
