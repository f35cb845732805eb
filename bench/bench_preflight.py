"""Pre-flight latency on a recipe of the snapshot: the first validate_config (pays oumi's
import), the median of later validate_config calls (target < 200 ms), and run_preflight
(offline, local and with a cloud named, SkyPilot's answer cached after the first call).

Usage: .venv/bin/python bench/bench_preflight.py [RECIPE] [--runs N]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from oumi_mcp_server.core.oumi_env import OFFLINE_ENV

DEFAULT = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "oumi-configs"
    / "recipes"
    / "llama3_1"
    / "sft"
    / "8b_lora"
    / "train.yaml"
)


def _ms(fn, *args) -> float:  # type: ignore[no-untyped-def]
    t = time.perf_counter()
    fn(*args)
    return (time.perf_counter() - t) * 1000


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("recipe", nargs="?", default=str(DEFAULT))
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    if not Path(args.recipe).is_file():
        print(f"recipe not found: {args.recipe}", file=sys.stderr)
        return 2
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)
    os.environ.setdefault("OUMI_MCP_CONFIGS_AUTO_SYNC", "0")
    from oumi_mcp_server.preflight.service import run_preflight, validate_config

    cwd = tempfile.mkdtemp(prefix="bench-preflight-")
    first = _ms(validate_config, args.recipe, cwd)
    later = [_ms(validate_config, args.recipe, cwd) for _ in range(args.runs)]
    pf_first = _ms(run_preflight, args.recipe, cwd)
    pf_local = [_ms(run_preflight, args.recipe, cwd) for _ in range(max(3, args.runs // 4))]
    pf_cloud_first = _ms(run_preflight, args.recipe, cwd, "gcp")
    pf_cloud = [_ms(run_preflight, args.recipe, cwd, "gcp") for _ in range(max(3, args.runs // 4))]
    print(f"recipe: {args.recipe}")
    print(f"validate_config first call (oumi import): {first:8.0f} ms")
    med = statistics.median(later)
    print(
        f"validate_config later calls, median:      {med:8.1f} ms "
        f"(p95 {sorted(later)[int(len(later) * 0.95) - 1]:.1f}; target < 200: "
        f"{'met' if med < 200 else 'MISSED'})"
    )
    print(f"run_preflight first (registry import):    {pf_first:8.0f} ms")
    print(f"run_preflight local, median:              {statistics.median(pf_local):8.1f} ms")
    print(f"run_preflight gcp first (sky check):      {pf_cloud_first:8.0f} ms")
    print(f"run_preflight gcp later, median:          {statistics.median(pf_cloud):8.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
