"""First calls in a fresh server: validate_config, pre_flight_check and get_docs (issue 10).

Each measurement spawns `oumi-mcp-server serve` over stdio (private HOME, state and cache),
connects the MCP SDK's stdio client, and times the FIRST call of one tool, from request to
answer (spawn and initialize are not counted; bench_server.py measures those). Median of N.
Once per tool, it also times a later call in the same server, made when oumi's background load
is done (validate_config and pre_flight_check then also run oumi's own checks).

Two index states: "warm" (the oumi index is on disk from an earlier server, the normal case)
and "cold" (its cache folder emptied before each spawn: the index is built from oumi's source
during the first call). Targets: first call <= 1 s.

Usage: .venv/bin/python bench/bench_preflight.py [--runs 5] [--recipe PATH] [--only warm|cold]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import anyio
from mcp import Client, StdioServerParameters

from oumi_mcp_server.core.oumi_env import OFFLINE_ENV
from oumi_mcp_server.core.scripts import server_argv

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "oumi-configs"
DEFAULT = SHARED / "recipes" / "smollm" / "sft" / "135m" / "quickstart_train.yaml"
FALLBACK = """\
model:
  model_name: HuggingFaceTB/SmolLM2-135M-Instruct
data:
  train:
    datasets:
      - dataset_name: text_sft_jsonl
        dataset_path: data/train.jsonl
training:
  trainer_type: TRL_SFT
  max_steps: 10
  output_dir: output/smoke
"""
WAIT_FOR_OUMI_S = 120.0


def _env(root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(OFFLINE_ENV)
    env.update(
        {
            "HOME": str(root / "home"),
            "OUMI_MCP_STATE_DIR": str(root / "state"),
            "OUMI_MCP_CACHE_DIR": str(root / "cache"),
            "OUMI_MCP_CONFIGS_AUTO_SYNC": "0",
            "OUMI_MCP_LOG_LEVEL": "ERROR",
        }
    )
    return env


def _calls(config: str, project: Path) -> dict[str, dict[str, Any]]:
    cwd = str(project)
    return {
        "validate_config": {"config": config, "client_cwd": cwd},
        "pre_flight_check": {"config": config, "client_cwd": cwd},
        "get_docs": {"query": "learning_rate"},
    }


async def _one(
    tool: str, args: dict[str, Any], env: dict[str, str], project: Path, later: bool
) -> tuple[float, float]:
    """(first call s, a later call's s once oumi has loaded, if `later`) in a fresh server."""
    argv = server_argv("serve")
    params = StdioServerParameters(command=argv[0], args=argv[1:], env=env, cwd=str(project))
    async with Client(params) as client:
        start = time.perf_counter()
        first = await client.call_tool(tool, args)
        first_s = time.perf_counter() - start
        if first.is_error:
            raise RuntimeError(f"{tool}: {first.content[0].text}")  # type: ignore[union-attr]
        if not later:
            return first_s, 0.0
        deadline = time.monotonic() + WAIT_FOR_OUMI_S
        while True:  # until the answer says oumi's own checks ran
            start = time.perf_counter()
            again = await client.call_tool(tool, args)
            second_s = time.perf_counter() - start
            done = (again.structured_content or {}).get("oumi_checked", True)
            if done or time.monotonic() > deadline:
                return first_s, second_s
            await anyio.sleep(1.0)


def _median_ms(values: list[float]) -> str:
    lo, hi = min(values) * 1000, max(values) * 1000
    return f"{statistics.median(values) * 1000:7.0f} ms  (min {lo:.0f}, max {hi:.0f})"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--recipe", default=str(DEFAULT))
    parser.add_argument("--only", choices=("warm", "cold"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-preflight-") as tmp:
        root = Path(tmp)
        project = root / "project"
        (project / "data").mkdir(parents=True)
        (project / "data" / "train.jsonl").write_text('{"messages": []}\n')
        (root / "home").mkdir()
        config = args.recipe
        if not Path(config).is_file():
            config = str(project / "train.yaml")
            Path(config).write_text(FALLBACK)
        env = _env(root)
        calls = _calls(config, project)
        print(f"config: {config}\nload: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
        for state in ("warm", "cold"):
            if args.only and state != args.only:
                continue
            if state == "warm":  # one server builds the index on disk first
                anyio.run(_one, "get_docs", calls["get_docs"], env, project, False)
            for tool, tool_args in calls.items():
                firsts = []
                for _ in range(args.runs):
                    if state == "cold":
                        shutil.rmtree(root / "cache" / "oumi-index", ignore_errors=True)
                    firsts.append(anyio.run(_one, tool, tool_args, env, project, False)[0])
                print(f"[{state} index] {tool:17} first call: {_median_ms(firsts)}", flush=True)
        if args.only != "cold":
            for tool, tool_args in calls.items():
                later = anyio.run(_one, tool, tool_args, env, project, True)[1]
                print(f"[oumi loaded] {tool:17} later call: {later * 1000:7.0f} ms", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
