"""Hardware fit: the estimated memory need against local GPUs, RAM, or the target's GPUs.

Local GPU memory comes from `nvidia-smi` (torch is not imported: it costs seconds, and a
pre-flight must answer in one); without a GPU the need is compared with RAM and the answer says
so. Packages a run needs are preflight.packages' business.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from typing import Any

from oumi_mcp_server.preflight.context import CheckContext, SkipCheck, get
from oumi_mcp_server.preflight.memory import GB, estimate, shape_of
from oumi_mcp_server.preflight.model_access import is_local_ref
from oumi_mcp_server.preflight.models import Finding, MemoryEstimate

# GB per device of common accelerators (SkyPilot names), and of the HPC clusters oumi targets.
ACCELERATOR_GB = {
    "H200": 141,
    "H100": 80,
    "H100-MEGA": 80,
    "A100-80GB": 80,
    "A100": 40,
    "L40S": 48,
    "L40": 48,
    "L4": 24,
    "A10G": 24,
    "A10": 24,
    "T4": 16,
    "V100": 16,
    "V100-32GB": 32,
    "P100": 16,
    "K80": 12,
    "A40": 48,
    "RTXA6000": 48,
    "B200": 180,
    "GB200": 186,
    "MI300X": 192,
    "MI250X": 64,
    "TPU-V4": 32,
    "TPU-V5E": 16,
    "TPU-V5P": 95,
}
CLUSTER_GPUS = {"polaris": ("A100", 4), "perlmutter": ("A100", 4), "frontier": ("MI250X", 8)}
NVIDIA_SMI_TIMEOUT_S = 5.0


def _parse_accelerators(value: Any) -> tuple[str, int] | None:
    if isinstance(value, dict) and value:
        name, n = next(iter(value.items()))
        return str(name).upper(), int(n or 1) if str(n).isdigit() else 1
    if isinstance(value, str) and value.strip():
        m = re.match(r"\s*([\w\-]+)(?::(\d+))?", value)
        if m:
            return m.group(1).upper(), int(m.group(2) or 1)
    return None


def _local_devices() -> tuple[list[int], str]:
    """Memory (bytes) of each local NVIDIA GPU, and the first one's name; empty without one."""
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return [], ""
    try:
        done = subprocess.run(
            [smi, "--query-gpu=name,memory.total", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=NVIDIA_SMI_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return [], ""
    mems, names = [], []
    for line in done.stdout.splitlines() if done.returncode == 0 else []:
        name, _, mib = line.rpartition(",")
        if mib.strip().isdigit():
            mems.append(int(mib.strip()) * 1024 * 1024)
            names.append(name.strip())
    return mems, names[0] if names else ""


def _target(ctx: CheckContext) -> tuple[float, int, str] | None:
    """(bytes per device, devices, description) of where the run goes; None when unknown."""
    if ctx.remote:
        acc = _parse_accelerators(get(ctx.data, "resources", "accelerators"))
        if acc is None and ctx.cloud in CLUSTER_GPUS:
            acc = CLUSTER_GPUS[str(ctx.cloud)]
        if acc is None:
            return None
        name, n = acc
        gb = ACCELERATOR_GB.get(name) or ACCELERATOR_GB.get(name.split("-")[0])
        return (gb * GB, n, f"{n}× {name} ({gb} GB each) on {ctx.cloud}") if gb else None
    mems, name = _local_devices()
    if mems:
        return (min(mems), len(mems), f"{len(mems)}× {name} ({min(mems) / GB:.0f} GB each)")
    import psutil

    ram = psutil.virtual_memory().total
    return float(ram), 1, f"RAM ({ram / GB:.0f} GB; no GPU here)"


def _model(ctx: CheckContext) -> str | None:
    for path in (("model", "model_name"), ("inference_config", "model", "model_name")):
        value = get(ctx.data, *path)
        if isinstance(value, str) and value:
            return value
    return None


def check_hardware(ctx: CheckContext) -> list[Finding]:
    out: list[Finding] = []
    if ctx.task_type == "job":
        raise SkipCheck("a job config: its referenced config carries the model")
    name = _model(ctx)
    if not name:
        raise SkipCheck("no model in the config")
    local_dir = ctx.resolve(name) if is_local_ref(ctx, name) else None
    shape = shape_of(name, local_dir)
    if shape is None:
        out.append(
            ctx.finding(
                "info",
                "memory_unknown",
                f"Cannot tell the size of `{name}`; memory fit not estimated.",
                "Use a name with its size (e.g. 8B) or a local folder.",
            )
        )
        return out
    target = _target(ctx)
    devices = target[1] if target else 1
    est = estimate(ctx.data, ctx.task_type, shape, devices)
    need_gb = est.need_bytes / GB
    if target is None:
        ctx.memory = MemoryEstimate(
            params_billion=round(shape.params / 1e9, 3),
            params_source=shape.source,
            need_gb=round(need_gb, 1),
            compared_with="unknown target GPUs",
        )
        out.append(
            ctx.finding(
                "info",
                "memory_estimate",
                f"About {need_gb:.1f} GB per device; the target's GPUs are not named here.",
                "Check it against the accelerators you launch on.",
            )
        )
        return out
    per_device, _, where = target
    ctx.memory = MemoryEstimate(
        params_billion=round(shape.params / 1e9, 3),
        params_source=shape.source,
        need_gb=round(need_gb, 1),
        available_gb=round(per_device / GB, 1),
        compared_with=where,
    )
    if est.need_bytes <= per_device:
        out.append(
            ctx.finding(
                "info", "memory_fits", f"Needs about {need_gb:.1f} GB per device; {where}: fits."
            )
        )
        if "no GPU" in where and ctx.task_type in ("training", "tuning"):
            out.append(
                ctx.finding(
                    "warning",
                    "no_gpu",
                    "No GPU here: training runs on the CPU, slowly.",
                    "Fine for a smoke test; use a GPU target for real runs.",
                )
            )
        return out
    fixes = [
        "enable LoRA (training.use_peft: true)",
        "QLoRA (peft.q_lora: true)",
        "smaller per_device_train_batch_size",
        "enable_gradient_checkpointing: true",
        "a smaller model or a bigger GPU",
    ]
    out.append(
        ctx.finding(
            "warning",
            "memory_insufficient",
            f"Needs about {need_gb:.1f} GB per device ({shape.params / 1e9:.2g}B params, "
            f"{shape.source}); {where} has {per_device / GB:.0f} GB.",
            "Try: " + "; ".join(fixes) + ".",
            ("model", "model_name"),
        )
    )
    return out
