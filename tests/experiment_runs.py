"""Real experiment runs shared by the suite: ONE 3-point learning-rate sweep of the tiny LoRA
model with evaluate-after-train (held-out loss and the 10-prompt suite), run once per session
through an MCP client (run_sweep: one plan, one approval; then get_sweep until it ends).

`tests/conftest.py` exposes it as the session fixture `experiment_sweep`. Its jobs live in their
own state folder: a test reads them after `experiment_sweep.use(monkeypatch)` (which points
OUMI_MCP_STATE_DIR there); dashboard, in-chat views and compare tests reuse its three runs.
Each point is one job running train then evaluate in one process (experiments.point), ~30-60 s
on the 2-core CPU box; the whole sweep ~2-3 min.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client

from oumi_mcp_server.core.oumi_env import OFFLINE_ENV
from oumi_mcp_server.demo.assets import TinyAssets, build_tiny_assets

LEARNING_RATES = (1e-4, 1e-3, 1e-2)
METRIC = "heldout_loss/loss"
SWEEP_LIMIT_S = 900


@dataclass
class ExperimentSweep:
    """What the session's real sweep produced, as the MCP tools answered it."""

    assets: TinyAssets
    state_dir: Path
    home: Path
    offer: dict[str, Any]
    """run_sweep's first answer: the plan and the confirm_token (spent since)."""
    launch: dict[str, Any]
    """run_sweep's second answer: sweep_id and the job of each point."""
    view: dict[str, Any]
    """get_sweep once every point ended."""
    job_ids: list[str] = field(default_factory=list)

    @property
    def sweep_id(self) -> str:
        return str(self.launch["sweep_id"])

    @property
    def args(self) -> dict[str, Any]:
        return sweep_args(self.assets)

    def use(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Make this test's services read the sweep's jobs (its state folder)."""
        monkeypatch.setenv("OUMI_MCP_STATE_DIR", str(self.state_dir))


def sweep_args(assets: TinyAssets) -> dict[str, Any]:
    return {
        "config": "configs/lora.yaml",
        "client_cwd": str(assets.root),
        "metric": METRIC,
        "grid": {"training.learning_rate": list(LEARNING_RATES)},
        "evaluate": "configs/eval.yaml",
        "job_name": "lr",
    }


async def _run(assets: TinyAssets) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    from oumi_mcp_server.server.app import build_server

    async with Client(build_server()) as c:
        args = sweep_args(assets)
        offer = (await c.call_tool("run_sweep", args)).structured_content
        assert offer is not None and offer["confirm_token"], offer
        launched = await c.call_tool("run_sweep", {**args, "confirm_token": offer["confirm_token"]})
        launch = launched.structured_content
        assert launch is not None and launch["launched"], launched
        end = time.monotonic() + SWEEP_LIMIT_S
        while True:
            got = await c.call_tool("get_sweep", {"sweep_id": launch["sweep_id"]})
            view = got.structured_content
            assert view is not None, got
            if view["status"] != "running":
                return offer, launch, view
            assert time.monotonic() < end, view
            await anyio.sleep(2)


def run_experiment_sweep(root: Path) -> ExperimentSweep:
    """Build the tiny assets under `root`, run the sweep in a state folder of its own."""
    state, home = root / "state", root / "home"
    for folder in (state, home, root / "hf", root / "cache"):
        folder.mkdir(parents=True, exist_ok=True)
    with pytest.MonkeyPatch.context() as mp:
        for name, value in {
            "OUMI_MCP_STATE_DIR": str(state),
            "OUMI_MCP_CACHE_DIR": str(root / "cache"),
            "HOME": str(home),
            "HF_HOME": str(root / "hf"),
            **OFFLINE_ENV,
        }.items():
            mp.setenv(name, value)
        mp.delenv("OUMI_MCP_OUMI_BIN", raising=False)
        assets = build_tiny_assets(root / "project")
        offer, launch, view = anyio.run(_run, assets)
    return ExperimentSweep(
        assets=assets,
        state_dir=state,
        home=home,
        offer=offer,
        launch=launch,
        view=view,
        job_ids=[str(j["job_id"]) for j in launch["jobs"]],
    )
