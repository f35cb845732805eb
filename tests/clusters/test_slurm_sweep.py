"""A 2-point sweep on the localhost Slurm cluster, through MCP: one plan and one approval, both
points submitted to the one cluster (Slurm queues them), outputs fetched home, ranked by the
training loss each point reached."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from slurm_testbed import SlurmTestCluster
from test_slurm_e2e import _args, slurm_project

from oumi_mcp_server.server.app import build_server

pytestmark = [pytest.mark.slurm, pytest.mark.oumi]
__all__ = ["slurm_project"]
LR = "training.learning_rate"


async def _until_ranked(c: Client, sweep_id: str, limit_s: float = 900) -> dict[str, Any]:
    """get_sweep until the sweep ended and every completed point has its value (fetched)."""
    end = time.monotonic() + limit_s
    while True:
        view = (await c.call_tool("get_sweep", {"sweep_id": sweep_id})).structured_content
        assert view is not None
        ended = view["status"] != "running"
        if ended and all(p["value"] is not None for p in view["points"]):
            return view
        if ended:
            assert all(p["status"] == "completed" for p in view["points"]), view
        assert time.monotonic() < end, view
        await anyio.sleep(3)


@pytest.mark.anyio
async def test_two_point_sweep_on_slurm_completes_and_ranks(
    slurm_cluster: SlurmTestCluster, slurm_project: Path
) -> None:
    base = _args(slurm_project, slurm_cluster, overrides={"training.max_steps": 10})
    base.pop("command")
    args = {**base, "metric": "final_loss", "grid": {LR: [1e-4, 1e-2]}, "job_name": "slurm"}
    async with Client(build_server()) as c:
        offer = (await c.call_tool("run_sweep", args)).structured_content
        assert offer is not None and offer["confirm_token"], offer
        plan = offer["plan"]
        assert plan["jobs"] == 2 and plan["backend"] == "launcher"
        assert slurm_cluster.cluster_name in plan["placement"] and "reused" in plan["placement"]
        done = await c.call_tool("run_sweep", {**args, "confirm_token": offer["confirm_token"]})
        launch = done.structured_content
        assert launch is not None and launch["launched"], done
        view = await _until_ranked(c, launch["sweep_id"])
    assert view["status"] == "completed" and view["counts"] == {"completed": 2}, view
    ranked = sorted(view["points"], key=lambda p: p["value"])
    assert [p["rank"] for p in view["points"]] == [1, 2]
    assert view["points"] == ranked and view["best"] == ranked[0]
    assert slurm_cluster.squeue_ids() == []
