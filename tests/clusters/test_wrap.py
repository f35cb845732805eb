"""Wrapping configs into launcher job configs: pure functions, no oumi import."""

from __future__ import annotations

import pytest

from oumi_mcp_server.clusters.wrap import (
    ClusterArgs,
    autostop_for,
    build_job_config,
    gpus_per_node,
    launcher_envs,
)
from oumi_mcp_server.core.errors import ServiceError


def _job(**kw: object) -> dict[str, object]:
    args = ClusterArgs(cloud=str(kw.pop("cloud", "aws")), **kw)  # type: ignore[arg-type]
    return build_job_config(
        command="train",
        config_data={"training": {}},
        config_bytes=b"x: 1\n",
        overrides=None,
        working_dir="/proj",
        job_name="j",
        args=args,
        user=None,
    )


def test_autostop_is_on_by_default_only_where_clusters_bill_while_idle() -> None:
    assert autostop_for("aws", None) == 30
    assert autostop_for("gcp", 90) == 90
    assert autostop_for("aws", -1) is None  # explicitly off
    assert autostop_for("slurm", None) is None
    assert autostop_for("lambda", None) is None  # SkyPilot cannot autostop there


def test_gpus_per_node_and_distributed_command() -> None:
    assert [gpus_per_node(a) for a in (None, "H100", "A100:8", "L4:2+")] == [0, 1, 8, 2]
    assert "oumi distributed torchrun -m oumi train" in str(_job(accelerators="A100:2")["run"])
    assert "\noumi train -c" in str(_job(accelerators="A100:1")["run"])
    assert "distributed torchrun" in str(_job(num_nodes=2)["run"])


def test_working_dir_gets_the_trailing_slash_oumi_slurm_needs() -> None:
    assert _job()["working_dir"] == "/proj/"


def test_slurm_env_values_are_shell_quoted_and_sky_ones_are_not() -> None:
    envs = {"A": "two words", "B": "x$(id)"}
    assert launcher_envs("slurm", envs) == {"A": "'two words'", "B": "'x$(id)'"}
    assert launcher_envs("aws", envs) == envs


@pytest.mark.parametrize("mounts", [{"/r;rm -rf /": "/l"}, {"": "/l"}, {"/r\n": "/l"}])
def test_bad_mounts_are_refused(mounts: dict[str, str]) -> None:
    with pytest.raises(ServiceError) as err:
        _job(file_mounts=mounts)
    assert err.value.code == "bad_mount"
