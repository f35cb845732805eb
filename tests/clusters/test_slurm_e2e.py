"""Real `oumi train` on the localhost Slurm cluster, driven through MCP clients end to end.

Through `run_oumi_job(cloud="slurm")`, oumi 0.9's own Slurm launcher (ssh, rsync, sbatch) submits
to a real slurmctld/slurmd; the tests follow the job to COMPLETED with progress and logs, fetch
its outputs, cancel a second job (nothing left in squeue, no process left), and restart the
server (a subprocess over stdio) during a launch and during a run: nothing is lost.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anyio
import psutil
import pytest
import yaml
from mcp import Client, StdioServerParameters
from slurm_testbed import SlurmTestCluster

from oumi_mcp_server.clusters import runstate, slurm
from oumi_mcp_server.demo.assets import build_tiny_assets
from oumi_mcp_server.jobs.states import LaunchPhase
from oumi_mcp_server.server.app import build_server

pytestmark = [pytest.mark.slurm, pytest.mark.oumi]
VENV = Path(sys.executable).parent.parent
OFFLINE = (
    "DO_NOT_TRACK",
    "HF_HUB_OFFLINE",
    "TRANSFORMERS_OFFLINE",
    "HF_DATASETS_OFFLINE",
    "WANDB_MODE",
)


def subprocess_env() -> dict[str, str]:
    return dict(os.environ)


@pytest.fixture(scope="session")
def slurm_project() -> Iterator[Path]:
    """Tiny assets in a folder the job user can read, the config's paths relative to it: the
    project is what oumi rsyncs to the cluster as the job's working directory."""
    root = Path(tempfile.mkdtemp(prefix="oumi-slurm-project-"))
    root.chmod(0o755)
    assets = build_tiny_assets(root)
    cfg = yaml.safe_load(assets.train_config.read_text())
    cfg["model"]["model_name"] = "model"
    cfg["data"]["train"]["datasets"][0]["dataset_path"] = "data/train.jsonl"
    cfg["training"]["output_dir"] = "output/tiny"
    assets.train_config.write_text(yaml.safe_dump(cfg))
    for path in root.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(autouse=True)
def _no_ssh_masters_left(isolated_env: Path, slurm_cluster: SlurmTestCluster) -> Iterator[None]:
    """Whatever ssh ControlMaster this test's processes opened is closed afterwards."""
    yield
    slurm.close_master(slurm.parse_cluster(slurm_cluster.cluster_name))


def _args(project: Path, sc: SlurmTestCluster, **kw: Any) -> dict[str, Any]:
    return {
        "command": "train",
        "config": "configs/train.yaml",
        "client_cwd": str(project),
        "envs": {k: os.environ[k] for k in OFFLINE},
        "cloud": "slurm",
        "cluster": {"cluster_name": sc.cluster_name, "setup": f"source {VENV}/bin/activate"},
        **kw,
    }


async def _launch(c: Client, args: dict[str, Any]) -> dict[str, Any]:
    offer = await c.call_tool("run_oumi_job", args)
    plan = offer.structured_content
    assert plan is not None and not plan["launched"], offer
    assert plan["plan"]["cluster"]["cloud"] == "slurm"
    assert plan["plan"]["cluster"]["job_config"]["working_dir"].endswith("/")
    done = await c.call_tool("run_oumi_job", {**args, "confirm_token": plan["confirm_token"]})
    assert done.structured_content and done.structured_content["launched"], done
    return done.structured_content["job"]  # type: ignore[no-any-return]


async def _wait(
    c: Client, job_id: str, until: str = "done", limit_s: float = 600
) -> dict[str, Any]:
    end = time.monotonic() + limit_s
    while True:
        res = await c.call_tool("wait_for_job", {"job_id": job_id, "timeout_s": 60, "until": until})
        view = res.structured_content
        assert view is not None, res
        finished = view["status"] in ("completed", "failed", "cancelled", "lost")
        if finished or (until == "running" and view["status"] == "running"):
            return view
        assert time.monotonic() < end, view


def _job_user_processes(sc: SlurmTestCluster) -> list[str]:
    out = []
    for p in psutil.process_iter(["username", "cmdline"]):
        if p.info["username"] == sc.user:
            out.append(" ".join(p.info["cmdline"] or []))
    return [c for c in out if "sshd" not in c]


def _settled_job_user_processes(sc: SlurmTestCluster, grace_s: float = 60) -> list[str]:
    """The job user's processes once slurmstepd had time to reap the cancelled job."""
    end = time.monotonic() + grace_s
    while (left := _job_user_processes(sc)) and time.monotonic() < end:
        time.sleep(1)
    return left


@pytest.mark.anyio
async def test_slurm_train_completes_with_progress_logs_and_outputs(
    slurm_cluster: SlurmTestCluster, slurm_project: Path
) -> None:
    async with Client(build_server()) as c:
        args = _args(
            slurm_project,
            slurm_cluster,
            job_name="slurm-tiny",
            overrides={"training.max_steps": 20},
        )
        args["cluster"]["fetch_outputs"] = True
        job = await _launch(c, args)
        assert job["status"] == "launching" and job["backend"] == "launcher"
        view = await _wait(c, job["job_id"])
        assert view["status"] == "completed", view
        assert view["status_source"].startswith("launcher (slurm")
        assert view["cluster"] == slurm_cluster.cluster_name
        # fetch_outputs=true: the server's reconcile loop sees the end and starts a detached
        # fetch (no read waits on rsync).
        model = Path(view["output_dir"]) / "model.safetensors"
        end = time.monotonic() + 180
        while not model.is_file():
            assert time.monotonic() < end, "automatic fetch never brought the model home"
            await anyio.sleep(1)

        logs = (
            await c.call_tool(
                "get_job_logs", {"job_id": job["job_id"], "tail": 400, "grep": "loss"}
            )
        ).structured_content
        assert logs is not None and "'loss'" in logs["streams"][0]["text"]

        fetched = await c.call_tool("fetch_outputs", {"job_id": job["job_id"]})
        first = fetched.structured_content
        assert first is not None and first["files"] > 0, fetched
        dest = Path(first["dest"])
        assert (dest / "model.safetensors").is_file()
        assert (dest / "trainer_state.json").is_file()
        again = (await c.call_tool("fetch_outputs", {"job_id": job["job_id"]})).structured_content
        assert again is not None and again["files"] == first["files"]  # no duplicates

        final = (await c.call_tool("get_job_status", {"job_id": job["job_id"]})).structured_content
        assert final is not None
        prog = final["progress"]
        assert prog["step"] == 20 and prog["total_steps"] == 20, prog
        assert prog["loss"] < prog["first_loss"]
    # Ran in the job user's home on the cluster, not in this test's HOME.
    assert Path(first["source"].split(":", 1)[1]).is_relative_to(slurm_cluster.job_home)
    assert job["job_id"] not in slurm_cluster.squeue_ids()


@pytest.mark.anyio
async def test_slurm_cancel_leaves_nothing_in_squeue_and_no_process(
    slurm_cluster: SlurmTestCluster, slurm_project: Path
) -> None:
    async with Client(build_server()) as c:
        job = await _launch(
            c,
            _args(
                slurm_project,
                slurm_cluster,
                job_name="slurm-long",
                overrides={"training.max_steps": 100000},
            ),
        )
        running = await _wait(c, job["job_id"], until="running")
        assert running["status"] == "running", running
        offer = (await c.call_tool("cancel_job", {"job_id": job["job_id"]})).structured_content
        assert offer is not None and offer["confirm_token"] and not offer["cancelled"]
        res = await c.call_tool(
            "cancel_job", {"job_id": job["job_id"], "confirm_token": offer["confirm_token"]}
        )
        assert res.structured_content and res.structured_content["status"] == "cancelled", res
        view = (await c.call_tool("get_job_status", {"job_id": job["job_id"]})).structured_content
        assert view is not None and view["status"] == "cancelled"
    assert slurm_cluster.squeue_ids() == []
    assert _settled_job_user_processes(slurm_cluster) == []


class RawServer:
    """A stdio server we can SIGKILL mid-call: raw JSON-RPC over its pipes."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", "from oumi_mcp_server.cli.main import main; main()", "serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=subprocess_env(),
            text=True,
        )
        self.next_id = 0
        self.request(
            "initialize",
            {
                "protocolVersion": "2025-06-18",
                "capabilities": {},
                "clientInfo": {"name": "t", "version": "0"},
            },
        )
        assert self.proc.stdin is not None
        self.proc.stdin.write(
            json.dumps({"jsonrpc": "2.0", "method": "notifications/initialized"}) + "\n"
        )
        self.proc.stdin.flush()

    def request(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.next_id += 1
        self.proc.stdin.write(
            json.dumps({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
            + "\n"
        )
        self.proc.stdin.flush()
        while True:
            line = self.proc.stdout.readline()
            assert line, "server closed stdout"
            message = json.loads(line)
            if message.get("id") == self.next_id:
                return message["result"]  # type: ignore[no-any-return]

    def call(self, tool: str, args: dict[str, Any]) -> dict[str, Any]:
        result = self.request("tools/call", {"name": tool, "arguments": args})
        assert "structuredContent" in result, result
        return result["structuredContent"]  # type: ignore[no-any-return]

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()


@pytest.mark.anyio
async def test_slurm_server_restarts_mid_launch_and_mid_job_lose_nothing(
    slurm_cluster: SlurmTestCluster, slurm_project: Path
) -> None:
    # Server 1 launches, and is SIGKILLed while the helper is still provisioning.
    first = RawServer()
    args = _args(
        slurm_project, slurm_cluster, job_name="slurm-restart", overrides={"training.max_steps": 40}
    )
    offer = first.call("run_oumi_job", args)
    job = first.call("run_oumi_job", {**args, "confirm_token": offer["confirm_token"]})["job"]
    run_dir = Path(job["run_dir"])
    assert runstate.state(run_dir).launch is LaunchPhase.LAUNCHING
    first.kill()
    # Server 2 finds it launching, follows it until it runs on Slurm, and is SIGKILLed.
    second = RawServer()
    assert second.call("get_job_status", {"job_id": job["job_id"]})["status"] == "launching"
    end = time.monotonic() + 600
    while (
        view := second.call(
            "wait_for_job", {"job_id": job["job_id"], "timeout_s": 30, "until": "running"}
        )
    )["status"] != "running":
        assert view["status"] in ("launching", "queued") and time.monotonic() < end, view
    second.kill()
    assert runstate.state(run_dir).launch is LaunchPhase.LAUNCHED
    # Server 3 follows it to the end, with its logs.
    async with Client(
        StdioServerParameters(
            command=sys.executable,
            args=["-c", "from oumi_mcp_server.cli.main import main; main()", "serve"],
            env=subprocess_env(),
        )
    ) as c:
        view = await _wait(c, job["job_id"])
        assert view["status"] == "completed", view
        logs = await c.call_tool("get_job_logs", {"job_id": job["job_id"], "tail": 50})
        assert logs.structured_content and "Model has been saved" in str(logs.structured_content)
