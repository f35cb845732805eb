"""The cluster tools through a real MCP client, against `fake-cloud` (a test cloud registered
through oumi's launcher registry): list, stop and down with consent, fetch_outputs errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from mcp import Client, types

from oumi_mcp_server.server.app import build_server

pytestmark = pytest.mark.oumi


def _error(result: types.CallToolResult) -> dict[str, Any]:
    assert result.is_error
    text = result.content[0].text  # type: ignore[union-attr]
    return json.loads(text[text.index("{") :])["error"]  # type: ignore[no-any-return]


async def _token(c: Client, tool: str, cluster: str) -> str:
    res = await c.call_tool(tool, {"cloud": "fake-cloud", "cluster": cluster})
    assert res.structured_content is not None and not res.structured_content["done"]
    return str(res.structured_content["confirm_token"])


@pytest.mark.anyio
async def test_fake_cloud_list_stop_down_through_mcp_need_consent(fake_cloud: Path) -> None:
    import fake_cloud as fc

    fc.make_cluster("c-1")
    fc.make_cluster("c-2")
    async with Client(build_server()) as c:
        listed = (await c.call_tool("list_clusters", {})).structured_content
        assert listed is not None and "fake-cloud" in listed["clouds_checked"], listed
        assert "fake-cloud" not in listed["errors"]
        assert sorted(x["name"] for x in listed["clusters"] if x["cloud"] == "fake-cloud") == [
            "c-1",
            "c-2",
        ]

        offer = await c.call_tool("down_cluster", {"cloud": "fake-cloud", "cluster": "c-1"})
        plan = offer.structured_content
        assert plan is not None and not plan["done"] and plan["confirm_token"]
        assert "lost" in plan["plan"] and "disks" in plan["plan"]
        assert fc.all_clusters() == ["c-1", "c-2"]  # nothing happened yet
        wrong = await c.call_tool(
            "down_cluster",
            {"cloud": "fake-cloud", "cluster": "c-2", "confirm_token": plan["confirm_token"]},
        )
        assert _error(wrong)["code"] == "confirm_token_mismatch"
        stop_token = await _token(c, "stop_cluster", "c-1")
        bad = await c.call_tool(
            "down_cluster", {"cloud": "fake-cloud", "cluster": "c-1", "confirm_token": stop_token}
        )
        assert _error(bad)["code"] == "confirm_token_mismatch"  # a stop token cannot tear down
        assert fc.all_clusters() == ["c-1", "c-2"]

        stopped = await c.call_tool(
            "stop_cluster",
            {
                "cloud": "fake-cloud",
                "cluster": "c-2",
                "confirm_token": await _token(c, "stop_cluster", "c-2"),
            },
        )
        assert stopped.structured_content and stopped.structured_content["done"]
        assert fc.cluster_record("c-2")["status"] == "STOPPED"  # type: ignore[index]
        done = await c.call_tool(
            "down_cluster",
            {"cloud": "fake-cloud", "cluster": "c-1", "confirm_token": plan["confirm_token"]},
        )
        assert done.structured_content and done.structured_content["done"]
        assert fc.all_clusters() == ["c-2"]


@pytest.mark.anyio
async def test_fetch_outputs_refuses_unknown_jobs(fake_cloud: Path) -> None:
    async with Client(build_server()) as c:
        res = await c.call_tool("fetch_outputs", {"job_id": "no-such-job"})
        assert _error(res)["code"] == "unknown_job"
        res = await c.call_tool("fetch_outputs", {"job_id": "../../etc"})
        assert _error(res)["code"] == "unknown_job"


@pytest.mark.anyio
async def test_fake_cloud_run_oumi_job_plan_confirm_follow_cancel_through_mcp(
    fake_cloud: Path,
) -> None:
    import fake_cloud as fc

    args = {
        "command": "train",
        "config": "configs/train.yaml",
        "client_cwd": str(fake_cloud),
        "cloud": "fake-cloud",
        "envs": {"WANDB_API_KEY": "abcdefghijklmnop0123456789"},
        "cluster": {"accelerators": "A100:1", "setup": "pip install oumi"},
    }
    async with Client(build_server()) as c:
        bad = await c.call_tool("run_oumi_job", {**args, "cluster": {"acelerators": "A100"}})
        assert _error(bad)["code"] == "bad_cluster_option"
        offer = (await c.call_tool("run_oumi_job", args)).structured_content
        assert offer is not None and not offer["launched"], offer
        cluster = offer["plan"]["cluster"]
        assert cluster["cloud"] == "fake-cloud" and cluster["cluster_name"] is None  # new one
        assert cluster["job_config"]["envs"]["WANDB_API_KEY"] == "<redacted>"
        assert "abcdefghijklmnop" not in json.dumps(offer)
        assert cluster["job_config"]["setup"] == "pip install oumi"
        assert fc.all_clusters() == []
        done = (
            await c.call_tool("run_oumi_job", {**args, "confirm_token": offer["confirm_token"]})
        ).structured_content
        assert done is not None and done["launched"] and done["job"]["status"] == "launching", done
        job_id = done["job"]["job_id"]
        view = (
            await c.call_tool(
                "wait_for_job", {"job_id": job_id, "timeout_s": 240, "until": "running"}
            )
        ).structured_content
        assert view is not None and view["status"] == "running", view
        assert fc.all_clusters() == [view["cluster"]] and view["cluster"].startswith("oumi-train-")
        token = (await c.call_tool("cancel_job", {"job_id": job_id})).structured_content
        assert token is not None and token["confirm_token"], token
        res = await c.call_tool(
            "cancel_job", {"job_id": job_id, "confirm_token": token["confirm_token"]}
        )
        out = res.structured_content
        assert out is not None and out["status"] == "cancelled", res
        assert "still up" in out["message"] or "fake-cloud" in out["message"]
    record = fc.cluster_record(view["cluster"])
    assert record is not None and list(record["jobs"].values()) == ["cancelled"]
