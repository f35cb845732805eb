"""A 3-point learning-rate sweep through the real SweepService (one plan, one token) whose points
run a stand-in `oumi` that writes a trainer_state.json whose loss depends on the learning rate
it was given, so the sweep ranks. `FAKE_GATE` holds every point until the file exists (to cancel
mid-way)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from jobs.jobhelpers import make_project, wait_until
from oumi_mcp_server.experiments.sweep import SweepService
from oumi_mcp_server.experiments.sweep_models import SweepView
from oumi_mcp_server.experiments.sweep_plan import SweepRequest
from oumi_mcp_server.jobs.commands import OUMI_BIN_ENV
from oumi_mcp_server.jobs.queue import MAX_JOBS_ENV
from oumi_mcp_server.jobs.service import JobService

LR = "training.learning_rate"
RATES = [1e-4, 3e-4, 1e-3]
FAKE_TRAIN = """#!{python}
import json, os, sys, time
args = sys.argv[1:]
def arg(name, default):
    return args[args.index(name) + 1] if name in args else default
lr = float(arg("--training.learning_rate", "1e-4"))
out = arg("--training.output_dir", "out")
gate = os.environ.get("FAKE_GATE")
while gate and not os.path.exists(gate):
    time.sleep(0.05)
history = []
for step in range(1, 9):
    loss = 3.0 * (1 - lr * 800) ** step + 0.5
    history.append({{"loss": round(loss, 4), "learning_rate": lr, "grad_norm": 1 / step,
                     "step": step}})
    print(history[-1], flush=True)
os.makedirs(out, exist_ok=True)
with open(os.path.join(out, "trainer_state.json"), "w") as fh:
    json.dump({{"global_step": 8, "max_steps": 8, "log_history": history}}, fh)
"""


def start_sweep(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, gate: Path | None = None
) -> tuple[SweepService, str]:
    """Plan, approve and launch the sweep; its id."""
    project = make_project(tmp_path, monkeypatch)
    fake = tmp_path / "fake_train"
    fake.write_text(FAKE_TRAIN.format(python=sys.executable))
    fake.chmod(0o755)
    monkeypatch.setenv(OUMI_BIN_ENV, str(fake))
    monkeypatch.setenv(MAX_JOBS_ENV, "1")
    sweeps = SweepService(JobService())
    req = SweepRequest(
        config="train.yaml",
        client_cwd=str(project),
        metric="final_loss",
        grid={LR: list(RATES)},
        job_name="lr",
        envs={"FAKE_GATE": str(gate)} if gate else None,
    )
    done = sweeps.run(req, sweeps.run(req, None).confirm_token)
    assert done.launched and done.sweep_id
    return sweeps, done.sweep_id


def finished(sweeps: SweepService, sweep_id: str) -> SweepView:
    view = wait_until(lambda: sweeps.get(sweep_id), lambda v: v.status != "running", timeout=120)
    assert view.status == "completed", view
    return view
