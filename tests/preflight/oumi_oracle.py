"""Oumi's own verdict on configs, loaded the way each `oumi` CLI command loads them.

Run as a script in ONE subprocess (importing oumi costs seconds): it reads a JSON list of
{"path", "kind"} on stdin and prints one JSON object {path: {"ok", "error", "exception"}} on
stdout. Written from oumi's CLI source (oumi/cli/*.py), independently of the product code it
judges: train/evaluate/infer/synth/quantize/tune/launch call `from_yaml_and_arg_list(path, [])`
then `finalize_and_validate()`; `judge` loads with `from_yaml_and_arg_list` only; `analyze`
refuses the v1 format, then `TypedAnalyzeConfig.from_yaml(path)`.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.oumi_env import OFFLINE_ENV


def _classes() -> dict[str, Any]:
    import oumi.core.configs as configs

    return {
        "training": configs.TrainingConfig,
        "evaluation": configs.EvaluationConfig,
        "async_evaluation": configs.AsyncEvaluationConfig,
        "inference": configs.InferenceConfig,
        "synthesis": configs.SynthesisConfig,
        "judge": configs.JudgeConfig,
        "quantization": configs.QuantizationConfig,
        "tuning": configs.TuningConfig,
        "job": configs.JobConfig,
    }


def _analyze(path: str) -> None:
    import yaml
    from oumi.analyze.config import TypedAnalyzeConfig
    from oumi.cli.analyze import _OLD_CONFIG_FIELDS

    with open(path) as f:
        data = yaml.safe_load(f)
    if isinstance(data, dict) and _OLD_CONFIG_FIELDS & set(data):
        raise ValueError(f"old AnalyzeConfig (v1) format: {sorted(_OLD_CONFIG_FIELDS & set(data))}")
    TypedAnalyzeConfig.from_yaml(path)


def verdict(path: str, kind: str, classes: dict[str, Any]) -> dict[str, Any]:
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            if kind == "analyze":
                _analyze(path)
            else:
                config = classes[kind].from_yaml_and_arg_list(path, [])
                if kind != "judge":
                    config.finalize_and_validate()
    except Exception as exc:  # oumi's refusal, whatever its type
        text = str(exc).strip().splitlines()
        return {"ok": False, "exception": type(exc).__name__, "error": (text or [""])[0][:300]}
    return {"ok": True}


def main() -> int:
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    jobs = json.load(sys.stdin)
    classes = _classes()
    out = {job["path"]: verdict(job["path"], job["kind"], classes) for job in jobs}
    sys.stdout.write(json.dumps(out))
    return 0


def run_oracle(jobs: list[dict[str, str]], cwd: Path, timeout: float = 900) -> dict[str, Any]:
    """oumi's verdict on each {"path", "kind"}: one subprocess, offline, run from `cwd`."""
    done = subprocess.run(
        [sys.executable, __file__],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **OFFLINE_ENV},
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout)
    return result


if __name__ == "__main__":
    sys.exit(main())
