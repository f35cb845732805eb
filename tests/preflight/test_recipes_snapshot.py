"""Every training recipe of the snapshot: no blocking error for its relative output_dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from oumi_mcp_server.preflight.loading import ConfigLoadError, load_config
from oumi_mcp_server.preflight.service import run_preflight
from oumi_mcp_server.preflight.tasks import infer_task_type

pytestmark = pytest.mark.usefixtures("oumi_warm")


def _training_recipes(root: Path) -> list[Path]:
    out = []
    for path in sorted(root.rglob("*.yaml")):
        try:
            loaded, _ = load_config(str(path), str(root))
        except ConfigLoadError:
            continue
        if infer_task_type(loaded.data)[0] == "training":
            out.append(path)
    return out


@pytest.mark.slow  # pre-flights every training recipe of the snapshot
def test_no_blocking_output_dir_error_in_any_training_recipe(
    shared_configs: Path, tmp_path: Path, no_sky: list[str]
) -> None:
    recipes = _training_recipes(shared_configs)
    assert len(recipes) >= 150  # 157 in the snapshot
    with_relative_output = 0
    for cloud in (None, "gcp", "slurm"):
        blocked = []
        for path in recipes:
            report = run_preflight(str(path), str(tmp_path), cloud)
            assert report.checks_run[0] == "config"
            out_dir = [
                f
                for f in report.findings
                if f.severity == "error"
                and f.location
                and (f.location.key or "").endswith("output_dir")
            ]
            blocked += [(path.name, f.code) for f in out_dir]
        assert blocked == [], (cloud, blocked[:5])
    for path in recipes:
        loaded, _ = load_config(str(path), str(tmp_path))
        value = (loaded.data.get("training") or {}).get("output_dir")
        with_relative_output += isinstance(value, str) and not value.startswith("/")
    assert with_relative_output >= 150  # every one of them uses a relative output_dir
