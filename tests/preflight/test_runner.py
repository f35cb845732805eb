"""The runner bounds each check and the whole run, and records what ran and why not."""

from __future__ import annotations

import threading
from pathlib import Path

from oumi_mcp_server.preflight.context import CheckContext, SkipCheck
from oumi_mcp_server.preflight.loading import load_config
from oumi_mcp_server.preflight.models import Finding
from oumi_mcp_server.preflight.runner import Check, run_checks


def test_timeouts_skips_and_crashes_are_recorded(tmp_path: Path) -> None:
    loaded, _ = load_config("model: {}\n", str(tmp_path))
    ctx = CheckContext(loaded=loaded, task_type="training", cloud=None)
    release = threading.Event()

    def slow(_: CheckContext) -> list[Finding]:
        release.wait(30)
        return []

    def skip(_: CheckContext) -> list[Finding]:
        raise SkipCheck("offline")

    def crash(_: CheckContext) -> list[Finding]:
        raise ValueError("boom")

    def ok(_: CheckContext) -> list[Finding]:
        return [Finding(severity="info", code="x", message="m")]

    result = run_checks(
        [
            Check("slow", slow, timeout=0.3),
            Check("skip", skip),
            Check("crash", crash),
            Check("ok", ok),
        ],
        ctx,
        overall_timeout=5,
    )
    skipped = {s.name: s.reason for s in result.skipped}
    assert result.ran == ["ok"] and [f.code for f in result.findings] == ["x"]
    assert skipped["slow"].startswith("timed out") and skipped["skip"] == "offline"
    assert "ValueError" in skipped["crash"]
    result = run_checks([Check("slow", slow, timeout=60)], ctx, overall_timeout=0.2)
    release.set()
    assert result.skipped[0].reason.startswith("timed out")
