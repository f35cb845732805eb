"""What one run produced, read from its own evidence only (`progress_base.window`): the training
summary (trainer_state.json's log_history, oumi's telemetry), evaluation metrics (every
`<backend>_<time>/task_result.json` oumi's evaluator saved), inference outputs, artifacts (model,
adapter, checkpoints) and the config snapshot that ran.

Read-only and bounded: every file is read up to a cap, every list is cut (and says so), and the
answer is trimmed to MAX_ANSWER_BYTES. A cluster job's outputs are read from the copy fetched into
its run folder; when there is none yet, the answer says a fetch is needed.
"""

from __future__ import annotations

import itertools
import json
import re
import stat
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from oumi_mcp_server.core.echo import short
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.redact import is_secret_name
from oumi_mcp_server.core.safe_read import read_regular_file
from oumi_mcp_server.jobs import progress
from oumi_mcp_server.jobs import progress_base as base
from oumi_mcp_server.jobs.record import LOCAL_BACKEND, JobRecord
from oumi_mcp_server.jobs.results_models import (
    Artifact,
    ConfigSummary,
    EvalTask,
    InferenceOutputs,
    JobResults,
    TrainingSummary,
)

if TYPE_CHECKING:
    from oumi_mcp_server.jobs.service import JobService

FETCHED_OUTPUTS = "outputs"
"""Where a cluster job's outputs are fetched in its run folder (clusters.runstate.OUTPUTS)."""
TASK_RESULT = "task_result.json"
TASK_PARAMS = "task_params.json"
TELEMETRY = "telemetry/telemetry_callback_rank0000.json"
MAX_ANSWER_BYTES = 8000
MAX_SMALL_JSON = 1024 * 1024
MAX_SCAN = 300
MAX_TASKS = 8
MAX_METRICS = 12
MAX_ARTIFACTS = 12
MAX_EXAMPLES = 3
EXAMPLE_CHARS = 300
COUNT_CAP = 64 * 1024 * 1024
"""Inference output bytes whose lines are counted; past it the count is an estimate."""
_EVAL_DIR = re.compile(r"(.+?)_(\d{8}_\d{6})(?:_\d{1,6})?", re.ASCII)
_MODEL_FILE = re.compile(r"(model|pytorch_model)(-\d+-of-\d+)?\.(safetensors|bin)(\.index\.json)?")
_ADAPTER_FILE = re.compile(r"adapter_(model\.(safetensors|bin)|config\.json)")
CONFIG_KEYS = (
    "model.model_name",
    "model.model_max_length",
    "training.trainer_type",
    "training.learning_rate",
    "training.max_steps",
    "training.num_train_epochs",
    "training.per_device_train_batch_size",
    "training.gradient_accumulation_steps",
    "training.use_peft",
    "peft.lora_r",
    "peft.lora_alpha",
    "training.output_dir",
    "output_dir",
    "input_path",
    "output_path",
)
MAX_CONFIG_VALUES = 20


def get_results(service: JobService, job_id: str) -> JobResults:
    """The results of `job_id`, finished or still running (what it has written so far)."""
    rec = service.record(job_id)
    res = service.resolve(rec)
    run_dir = Path(rec.run_dir) if rec.run_dir else None
    win = base.window(run_dir, res.started_at, res.ended_at)
    return collect(rec, res.status.value, win)


def outputs_of(rec: JobRecord) -> Path | None:
    """Where this job's outputs are on this machine: its output dir, or a cluster job's fetch."""
    if rec.backend != LOCAL_BACKEND:
        return Path(rec.run_dir) / FETCHED_OUTPUTS if rec.run_dir else None
    return Path(rec.output_dir) if rec.output_dir else None


def collect(rec: JobRecord, status: str, win: base.Window) -> JobResults:
    out = outputs_of(rec)
    notes: list[str] = []
    answer = JobResults(job_id=rec.id, status=status, command=rec.command, backend=rec.backend)
    answer.config = config_summary(rec)
    if out is None or not progress.is_folder(out):
        if rec.backend != LOCAL_BACKEND:
            answer.fetch_needed = True
            notes.append(
                f"Outputs are on the cluster: fetch_outputs(job_id='{rec.id}') brings them here."
            )
        else:
            notes.append("The job has not written its output folder (yet).")
        answer.notes = notes
        return answer
    answer.output_dir = str(out)
    answer.training = training_summary(out, win, notes)
    answer.evaluation, answer.evaluation_truncated = evaluations(out, win, notes)
    answer.inference = inference(rec, out, answer.config)
    answer.artifacts, answer.artifacts_truncated = artifacts(out, win, notes)
    answer.notes = notes[: progress.MAX_NOTES]
    return fit(answer)


# ---- training ----------------------------------------------------------------------------------
def _num(row: dict[str, Any], key: str) -> float | None:
    return progress.finite(row.get(key))


def training_summary(out: Path, win: base.Window, notes: list[str]) -> TrainingSummary | None:
    state = progress.trainer_state(out, win, notes, whole=True)
    owned = base.owned_states(out, win)
    if state is None or not owned:
        return None
    rows = progress.loss_rows(state)
    losses = [(base.count(r.get("step")), v) for r in rows if (v := _num(r, "loss")) is not None]
    summ = TrainingSummary(source=str(owned[0]))
    summ.step = base.count(state.get("global_step"))
    summ.total_steps = base.count(state.get("max_steps")) or None
    summ.epoch = progress.finite(state.get("epoch"))
    if losses:
        summ.first_loss, summ.final_loss = losses[0][1], losses[-1][1]
        summ.best_loss_step, summ.best_loss = min(losses, key=lambda sv: sv[1])
    evals = [v for r in rows if (v := _num(r, "eval_loss")) is not None]
    summ.final_eval_loss = evals[-1] if evals else None
    end = next((r for r in reversed(rows) if "train_runtime" in r), {})
    summ.wall_time_s = _num(end, "train_runtime")
    summ.samples_per_second = _num(end, "train_samples_per_second")
    summ.steps_per_second = _num(end, "train_steps_per_second")
    summ.train_loss = _num(end, "train_loss")
    seen = base.count(state.get("num_input_tokens_seen")) or next(
        (n for r in reversed(rows) if (n := base.count(_num(r, "num_tokens"))) is not None), None
    )
    summ.tokens_seen = seen or None
    summ.tokens_per_second = _num(end, "train_tokens_per_second")
    if summ.tokens_per_second is None and seen and summ.wall_time_s:
        summ.tokens_per_second = round(seen / summ.wall_time_s, 2)
    summ.peak_memory_mib = peak_memory(out, win)
    return summ


def _small_json(path: Path) -> Any:
    try:
        return json.loads(read_regular_file(path, MAX_SMALL_JSON, kind="result"))
    except (ServiceError, OSError, ValueError, RecursionError):
        return None


def peak_memory(out: Path, win: base.Window) -> float | None:
    """Peak reserved accelerator memory (MiB) from oumi's telemetry summary, when it kept one."""
    st = base.regular_stat(out / TELEMETRY)
    data = _small_json(out / TELEMETRY) if st is not None and win.owns(TELEMETRY, st) else None
    samples = data.get("gpu_memory") if isinstance(data, dict) else None
    if not isinstance(samples, list):
        return None
    peaks = [
        v
        for s in samples
        if isinstance(s, dict)
        for k in ("reserved", "allocated")
        if (v := progress.finite(s.get(k))) is not None
    ]
    return round(max(peaks), 1) if peaks else None


# ---- evaluation --------------------------------------------------------------------------------
def _subdirs(out: Path) -> list[Path]:
    try:
        found = [p for _, p in zip(range(MAX_SCAN), out.iterdir(), strict=False)]
    except (OSError, ValueError):
        return []
    return [p for p in found if progress.is_folder(p)]


def _metrics(values: dict[str, Any]) -> tuple[dict[str, float | str], bool]:
    """Scalar metrics, one level of nesting flattened as `a.b`; stderr last, `alias` dropped."""
    flat: list[tuple[str, float | str]] = []
    for key, value in values.items():
        inner = value.items() if isinstance(value, dict) else [("", value)]
        for sub, val in inner:
            name = short(f"{key}.{sub}" if sub else str(key), 80)
            if key == "alias" or isinstance(val, bool):
                continue
            if (number := progress.finite(val)) is not None:
                flat.append((name, number))
            elif isinstance(val, str) and val:
                flat.append((name, short(val, 80)))
    flat.sort(key=lambda kv: "stderr" in kv[0])
    return dict(flat[:MAX_METRICS]), len(flat) > MAX_METRICS


def _inside(path: Path, root: Path) -> bool:
    """Whether `path`, its links resolved, lies in the run's output folder (itself resolved, so a
    linked output folder is fine): a link in it to a file elsewhere is not this run's result."""
    try:
        return path.resolve(strict=True).is_relative_to(root.resolve(strict=True))
    except (OSError, RuntimeError, ValueError):
        return False


def evaluations(out: Path, win: base.Window, notes: list[str]) -> tuple[list[EvalTask], bool]:
    """Every task of every task_result.json this run saved, newest evaluation first."""
    found: list[tuple[int, Path]] = []
    for folder in _subdirs(out):
        st = base.regular_stat(folder / TASK_RESULT)
        if st is not None and win.owns(f"{folder.name}/{TASK_RESULT}", st):
            if not _inside(folder / TASK_RESULT, out):
                progress.note(notes, f"{folder / TASK_RESULT} links outside the run; skipped.")
                continue
            found.append((st.st_mtime_ns, folder))
    tasks: list[EvalTask] = []
    for _, folder in sorted(found, key=lambda mf: mf[0], reverse=True):
        data = _small_json(folder / TASK_RESULT)
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, dict):
            progress.note(notes, f"{folder / TASK_RESULT} is not an oumi task result; skipped.")
            continue
        named = _EVAL_DIR.fullmatch(folder.name)
        params = _small_json(folder / TASK_PARAMS) if named is None else None
        backend = named[1] if named else str((params or {}).get("evaluation_backend", "unknown"))
        duration = progress.finite(data.get("duration_sec"))
        for task, values in results.items():
            if isinstance(values, dict):
                metrics, cut = _metrics(values)
                path = str(folder / TASK_RESULT)
                tasks.append(
                    EvalTask(
                        task=short(task, 80),
                        backend=short(backend, 40),
                        metrics=metrics,
                        metrics_truncated=cut,
                        duration_s=duration,
                        path=path,
                    )
                )
    return tasks[:MAX_TASKS], len(tasks) > MAX_TASKS


# ---- inference ---------------------------------------------------------------------------------
_OUTPUT_FILE = {"infer": "output_path", "synth": "output_path", "judge": "output"}
"""The file each command writes its rows to: a config key, or judge's `--output` option."""


def inference(rec: JobRecord, out: Path, config: ConfigSummary | None) -> InferenceOutputs | None:
    """The rows file of an `infer`, `synth` or `judge` run: its line count and first rows."""
    key = _OUTPUT_FILE.get(rec.command)
    named = (config.values.get(key) if config and key else None) or ""
    if not named:
        return None
    path = Path(named)
    if rec.backend != LOCAL_BACKEND:
        path = out / path.name
    elif not path.is_absolute():
        path = Path(rec.cwd) / path
    head = base.read_range(path, 0, COUNT_CAP)
    if not head:
        return None
    size = st.st_size if (st := base.regular_stat(path)) is not None else len(head)
    lines = head.count(b"\n") + (not head.endswith(b"\n"))
    exact = size <= len(head)
    if not exact:
        lines = round(lines * size / len(head))
    rows = head.split(b"\n", MAX_EXAMPLES)[:MAX_EXAMPLES]
    examples = [short(r.decode("utf-8", "replace"), EXAMPLE_CHARS) for r in rows if r.strip()]
    return InferenceOutputs(
        path=str(path), lines=lines, lines_counted_exactly=exact, examples=examples
    )


# ---- artifacts ---------------------------------------------------------------------------------
def _size(folder: Path) -> tuple[int, int]:
    """(bytes, files) in `folder`, at most MAX_SCAN entries deep-first."""
    total = files = 0
    try:
        for _, p in zip(range(MAX_SCAN), folder.rglob("*"), strict=False):
            st = base.stat_of(p)
            if st is not None and stat.S_ISREG(st.st_mode):
                total, files = total + st.st_size, files + 1
    except (OSError, ValueError):
        pass
    return total, files


def artifacts(out: Path, win: base.Window, notes: list[str]) -> tuple[list[Artifact], bool]:
    """The final model and adapter files this run saved, and its checkpoints, newest first."""
    groups: dict[str, list[tuple[str, int]]] = {"model": [], "adapter": []}
    older = 0
    try:
        names = [p.name for _, p in zip(range(MAX_SCAN), out.iterdir(), strict=False)]
    except (OSError, ValueError):
        names = []
    for name in sorted(names):
        kind = "model" if _MODEL_FILE.fullmatch(name) else None
        kind = "adapter" if _ADAPTER_FILE.fullmatch(name) else kind
        st = base.regular_stat(out / name) if kind else None
        if kind and st is not None:
            if win.owns(name, st):
                groups[kind].append((name, st.st_size))
            else:
                older += 1
    found = [
        Artifact(
            kind=kind,
            path=str(out / files[0][0]) if len(files) == 1 else str(out),
            size_bytes=sum(s for _, s in files),
            files=len(files),
        )
        for kind, files in groups.items()
        if files
    ]
    for name in base.checkpoints(out):
        st = base.stat_of(out / name)
        if st is None or not win.owns(name, st):
            older += 1
            continue
        size, count = _size(out / name)
        found.append(
            Artifact(kind="checkpoint", path=str(out / name), size_bytes=size, files=count)
        )
        if len(found) > MAX_ARTIFACTS:
            break
    if older:
        progress.note(
            notes,
            f"{older} model file(s) or checkpoint(s) in {out} are from an earlier run; not listed.",
        )
    return found[:MAX_ARTIFACTS], len(found) > MAX_ARTIFACTS


# ---- the config that ran -----------------------------------------------------------------------
def _lookup(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def config_summary(rec: JobRecord) -> ConfigSummary | None:
    """Key values of the config snapshot in the run folder, with the overrides the run was given."""
    if not rec.config_path:
        return None
    try:
        data = yaml.safe_load(read_regular_file(rec.config_path, MAX_SMALL_JSON, kind="config"))
    except (ServiceError, OSError, yaml.YAMLError, RecursionError):
        data = None
    values: dict[str, str] = {}
    for key in CONFIG_KEYS:
        value = _lookup(data, key)
        if value is not None and not isinstance(value, dict | list):
            values[key] = short(str(value), 200)
    argv = rec.argv
    for flag, value in itertools.pairwise(argv):
        if flag.startswith("--") and len(values) < MAX_CONFIG_VALUES:
            shown = "<redacted>" if is_secret_name(flag.rsplit(".", 1)[-1]) else value
            values[short(flag[2:], 80)] = short(shown, 200)
    return ConfigSummary(path=rec.config_path, values=values)


# ---- the 8 KB bound ----------------------------------------------------------------------------
def fit(answer: JobResults) -> JobResults:
    """Cut the longest lists until the answer is under MAX_ANSWER_BYTES, saying what was cut."""
    while len(answer.model_dump_json()) > MAX_ANSWER_BYTES:
        if answer.inference and answer.inference.examples:
            answer.inference.examples.pop()
        elif len(answer.artifacts) > 2:
            answer.artifacts.pop()
            answer.artifacts_truncated = True
        elif len(answer.evaluation) > 1:
            answer.evaluation.pop()
            answer.evaluation_truncated = True
        elif answer.notes:
            answer.notes.pop()
        else:
            break
    return answer
