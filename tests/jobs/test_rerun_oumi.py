"""One recipe re-run three times into the same output_dir with the real `oumi train` on the tiny
local model: one run fails early (a bad dataset path), one is cancelled mid-training, one runs
in full. Every surface (get_job_status and list_jobs through an MCP client, the `jobs list`
CLI, the dashboard's JSON and page, wait_for_job's notifications) reports each run's own steps,
loss and curve, the same numbers everywhere, and a finished run's numbers never change.

The three runs happen once, in a module fixture that records what every surface said; the
tests below read that record. Runs 2 and 3 use different learning rates, so their losses
differ from step 2 on and a curve tells which run drew it.
"""

from __future__ import annotations

import ast
import itertools
import json
import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import pytest
from click.testing import CliRunner
from mcp import Client
from starlette.applications import Starlette
from starlette.testclient import TestClient

from jobs.jobhelpers import kill_jobs
from oumi_mcp_server.cli.main import cli
from oumi_mcp_server.core.oumi_env import OFFLINE_ENV
from oumi_mcp_server.dashboard.app import build_routes
from oumi_mcp_server.demo.assets import TinyAssets
from oumi_mcp_server.jobs.plan import PREFLIGHT_ENV
from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.wiring import job_service

pytestmark = pytest.mark.oumi
CANCEL_AT = 45
"""The cancelled run is stopped once past this step and its checkpoint-40 is saved, so it
leaves checkpoints above the full run's last one (checkpoint-30)."""
FULL_STEPS = 30
LONG_STEPS = 100_000
Record = dict[str, Any]


def _structured(result: Any) -> Any:
    assert not result.is_error, result
    return result.structured_content


class Surfaces:
    """Everything a user or an assistant sees of one job, read at one moment."""

    def __init__(self, c: Client, dashboard: TestClient) -> None:
        self.c, self.dashboard = c, dashboard

    async def read(self, job_id: str) -> Record:
        status = _structured(await self.c.call_tool("get_job_status", {"job_id": job_id}))
        listed = _structured(await self.c.call_tool("list_jobs", {"limit": 50}))
        cli_out = CliRunner().invoke(cli, ["jobs", "list", "--limit", "50"])
        assert cli_out.exit_code == 0, cli_out.output
        api_list = self.dashboard.get("/api/jobs", params={"limit": 50}).json()
        return {
            "status": status,
            "list": next(j for j in listed["jobs"] if j["job_id"] == job_id),
            "cli": next(ln.split() for ln in cli_out.output.splitlines() if job_id in ln),
            "api": self.dashboard.get(f"/api/jobs/{job_id}").json(),
            "api_list": next(j for j in api_list["jobs"] if j["job_id"] == job_id),
            "loss": self.dashboard.get(f"/api/jobs/{job_id}/loss").json(),
            "page": self.dashboard.get("/").text,
        }


async def _launch(c: Client, root: Path, overrides: dict[str, Any]) -> tuple[str, Record]:
    args = {"command": "train", "config": "configs/train.yaml", "client_cwd": str(root)}
    offer = _structured(await c.call_tool("run_oumi_job", args | {"overrides": overrides}))
    args |= {"overrides": overrides, "confirm_token": offer["confirm_token"]}
    launched = _structured(await c.call_tool("run_oumi_job", args))
    return launched["job"]["job_id"], offer["plan"]


async def _reruns(assets: TinyAssets, out: Path) -> Record:
    record: Record = {"ticks": []}
    root = assets.root

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        record["ticks"].append((progress, total, message))

    with TestClient(Starlette(routes=build_routes(job_service))) as dashboard:
        async with Client(build_server()) as c:
            see = Surfaces(c, dashboard)
            bad_data = {"data.train.datasets.0.dataset_path": str(root / "data" / "gone.jsonl")}
            failed, _ = await _launch(
                c, root, {"training.output_dir": str(out), "training.max_steps": 40} | bad_data
            )
            await c.call_tool("wait_for_job", {"job_id": failed, "timeout_s": 300})
            record["failed_at_end"] = await see.read(failed)

            long_run = {"training.max_steps": LONG_STEPS, "training.learning_rate": 0.001}
            cancelled, _ = await _launch(
                c, root, {"training.output_dir": str(out), "training.save_steps": 10} | long_run
            )
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline:
                view = await see.read(cancelled)
                step = (view["status"]["progress"] or {}).get("step") or 0
                if step >= CANCEL_AT and (out / "checkpoint-40").is_dir():
                    break
                assert view["status"]["status"] in ("queued", "running"), view["status"]
                await anyio.sleep(0.2)
            record["cancelled_running"] = view
            offer = _structured(await c.call_tool("cancel_job", {"job_id": cancelled}))
            await c.call_tool(
                "cancel_job", {"job_id": cancelled, "confirm_token": offer["confirm_token"]}
            )
            await c.call_tool("wait_for_job", {"job_id": cancelled, "timeout_s": 120})
            record["cancelled_at_end"] = await see.read(cancelled)

            full, record["full_plan"] = await _launch(
                c,
                root,
                {"training.output_dir": str(out), "training.max_steps": FULL_STEPS}
                | {"training.save_steps": 10},
            )
            await c.call_tool(
                "wait_for_job", {"job_id": full, "timeout_s": 300}, progress_callback=on_progress
            )
            record["full_at_end"] = await see.read(full)
            record["failed_later"] = await see.read(failed)
            record["cancelled_later"] = await see.read(cancelled)
    return record


@pytest.fixture(scope="module")
def reruns(tiny_assets: TinyAssets, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Record]:
    """The three runs, once (about a minute), in a private state dir."""
    env = tmp_path_factory.mktemp("rerun_env")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("HOME", "HF_HOME", "OUMI_MCP_STATE_DIR", "OUMI_MCP_CACHE_DIR"):
            (env / name).mkdir()
            mp.setenv(name, str(env / name))
        for name, value in OFFLINE_ENV.items():
            mp.setenv(name, value)
        mp.setenv(PREFLIGHT_ENV, "off")
        mp.delenv("OUMI_MCP_OUMI_BIN", raising=False)
        try:
            yield anyio.run(_reruns, tiny_assets, env / "out")
        finally:
            kill_jobs(env / "OUMI_MCP_STATE_DIR")


def _progress(view: Record) -> Record:
    return view["status"]["progress"] or {}


def _printed(view: Record) -> dict[int, str]:
    """step -> loss as the trainer printed it (4 digits) in the job's own stdout."""
    text = (Path(view["status"]["run_dir"]) / "stdout.log").read_text(errors="replace")
    rows = [ast.literal_eval(m) for m in re.findall(r"^\{'loss'.*\}$", text, re.M)]
    return {int(r["step"]): r["loss"] for r in rows}


def _assert_surfaces_agree(view: Record) -> None:
    """list_jobs, `jobs list`, the dashboard's job, list and page say what get_job_status says."""
    p = _progress(view)
    step, total, loss = p.get("step"), p.get("total_steps"), p.get("loss")
    listed = view["list"]
    assert (listed["step"], listed["total_steps"], listed["loss"]) == (step, total, loss)
    assert view["api"]["progress"] == view["status"]["progress"]
    assert view["api_list"]["progress"] == view["status"]["progress"]
    assert view["api"]["status"] == view["api_list"]["status"] == view["status"]["status"]
    shown_step = f"{step}/{total or '?'}" if step is not None else "-"
    shown_loss = f"{loss:.4g}" if loss is not None else "-"
    assert view["cli"][1] == view["status"]["status"]
    assert view["cli"][3:5] == [shown_step, shown_loss], view["cli"]
    if step is not None:
        assert f"{step}/{total or '?'}" in view["page"]
    points = view["loss"]["points"]
    if points:
        assert points[-1] == [step, loss]  # the curve ends where the progress says


def _assert_own_curve(view: Record, last_step: int) -> None:
    """The curve is this run's: steps 1..last, once each, the losses its stdout printed."""
    points = view["loss"]["points"]
    assert [s for s, _ in points] == list(range(1, last_step + 1)), points
    printed = _printed(view)
    for step, value in points:
        if step in printed:
            assert f"{value:.4g}" == printed[step], (step, value, printed[step])
    assert len(set(printed) & {s for s, _ in points}) >= last_step - 1


def test_the_run_that_failed_early_shows_no_progress_of_others(reruns: Record) -> None:
    for key in ("failed_at_end", "failed_later"):
        view = reruns[key]
        assert view["status"]["status"] == "failed" and view["status"]["exit_code"] != 0
        p = _progress(view)
        assert p.get("step") is None and p.get("loss") is None, p  # was 100 %, a full curve
        assert view["loss"]["points"] == []
        _assert_surfaces_agree(view)


def test_the_cancelled_run_reports_its_own_steps_loss_and_curve(reruns: Record) -> None:
    running = _progress(reruns["cancelled_running"])
    assert running["total_steps"] == LONG_STEPS and running["step"] >= CANCEL_AT
    view = reruns["cancelled_at_end"]
    assert view["status"]["status"] == "cancelled"
    p = _progress(view)
    assert p["total_steps"] == LONG_STEPS and CANCEL_AT <= p["step"] < LONG_STEPS
    assert p["fraction"] == round(p["step"] / LONG_STEPS, 4) and p["loss"] < p["first_loss"]
    printed = _printed(view)
    assert abs(p["step"] - max(printed)) <= 1  # SIGTERM may fall between the two writes
    _assert_own_curve(view, p["step"])
    _assert_surfaces_agree(view)


def test_the_full_run_reports_its_own_steps_loss_and_curve(reruns: Record) -> None:
    """It followed a run that left checkpoint-40 and up, and rows of its own in the metrics."""
    view = reruns["full_at_end"]
    assert view["status"]["status"] == "completed"
    p = _progress(view)
    assert (p["step"], p["total_steps"], p["fraction"]) == (FULL_STEPS, FULL_STEPS, 1.0)
    assert p["first_loss"] == view["loss"]["points"][0][1] and p["loss"] < p["first_loss"]
    _assert_own_curve(view, FULL_STEPS)
    _assert_surfaces_agree(view)
    cancelled = reruns["cancelled_at_end"]["loss"]["points"]
    assert view["loss"]["points"][1][1] != cancelled[1][1]  # another run's curve


def test_finished_runs_never_change(reruns: Record) -> None:
    for before, after in (
        ("failed_at_end", "failed_later"),
        ("cancelled_at_end", "cancelled_later"),
    ):
        was, now = reruns[before], reruns[after]
        numbers = {k: v for k, v in (_progress(now)).items() if k != "sources"}
        assert numbers == {k: v for k, v in _progress(was).items() if k != "sources"}
        assert now["loss"] == was["loss"] and now["cli"][3:5] == was["cli"][3:5]


def test_the_plan_of_the_rerun_warns_and_offers_a_fresh_output_dir(reruns: Record) -> None:
    plan = reruns["full_plan"]
    (warning,) = [n for n in plan["notes"] if n.startswith("Warning")]
    assert "already holds another run's outputs" in warning and "checkpoint" in warning
    fix = json.loads(warning[warning.index("{") : warning.rindex("}") + 1])
    assert fix["training.output_dir"].startswith(plan["output_dir"] + "_")


def test_wait_for_job_notifications_are_monotone_and_within_the_total(reruns: Record) -> None:
    """oumi's "Loading weights 20/20" bar comes before step 1: it is no progress, and real
    steps are not clamped to it; the last notification is the full run's end."""
    ticks = reruns["ticks"]
    assert ticks and ticks[-1][:2] == (float(FULL_STEPS), float(FULL_STEPS)), ticks
    values = [v for v, _, _ in ticks]
    assert all(b > a for a, b in itertools.pairwise(values)), ticks
    assert all(t in (None, float(FULL_STEPS)) and (t is None or v <= t) for v, t, _ in ticks)
