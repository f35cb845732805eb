"""Validation and pre-flight entry points (blocking: call them through run_blocking)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from oumi_mcp_server.core.echo import short
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.preflight import warmup
from oumi_mcp_server.preflight.context import CheckContext, get
from oumi_mcp_server.preflight.credentials import check_credentials
from oumi_mcp_server.preflight.custom_eval import check_custom_eval
from oumi_mcp_server.preflight.datasets import check_datasets, check_hub_datasets
from oumi_mcp_server.preflight.eval_data import check_eval_data
from oumi_mcp_server.preflight.hardware import check_hardware
from oumi_mcp_server.preflight.loading import ConfigLoadError, load_config
from oumi_mcp_server.preflight.model_access import check_hub_models, check_models
from oumi_mcp_server.preflight.models import (
    TASK_TYPES,
    Finding,
    PreflightReport,
    SkippedCheck,
    ValidationReport,
    count,
    sort_and_cap,
)
from oumi_mcp_server.preflight.overrides import Scalar, with_overrides
from oumi_mcp_server.preflight.packages import check_packages
from oumi_mcp_server.preflight.paths import check_paths
from oumi_mcp_server.preflight.remote import check_cloud_enabled
from oumi_mcp_server.preflight.runner import OVERALL_TIMEOUT_S, Check, run_checks
from oumi_mcp_server.preflight.schema import OumiChecks, SchemaResult, validate_schema
from oumi_mcp_server.preflight.tasks import normalize_task_type

logger = logging.getLogger(__name__)
_CLOUD_RE = re.compile(r"^[a-z0-9][a-z0-9_\-]{0,31}\Z")
NETWORK_TIMEOUT_S = 15.0


def _task(task_type: str | None) -> str | None:
    if task_type is None or not task_type.strip():
        return None
    normalized = normalize_task_type(task_type)
    if normalized is None:
        raise ServiceError(
            "bad_task_type",
            f"Unknown task_type `{short(task_type)}`.",
            f"Use one of {', '.join(TASK_TYPES)}, or omit it to infer it.",
        )
    return normalized


def _cloud(cloud: str | None) -> str | None:
    if cloud is None or not cloud.strip():
        return None
    c = cloud.strip().lower()
    if not _CLOUD_RE.match(c):
        raise ServiceError(
            "bad_cloud",
            f"`{short(cloud)}` is not a cloud name.",
            "Use a target such as local, gcp, aws, azure, lambda, k8s, slurm.",
        )
    return c


def _summary(findings: list[Finding], task: str | None, where: str, pending: bool = False) -> str:
    c = count(findings)
    what = f"{task or 'unknown'} config{where}"
    if c.errors:
        first = next(f for f in findings if f.severity == "error")
        return (
            f"Not ready: {c.errors} error(s), {c.warnings} warning(s) in this {what}. "
            f"First: [{first.code}] {first.message}"[:400]
        )
    later = " oumi's own semantic checks are still loading: check again shortly." if pending else ""
    if c.warnings:
        return f"Ready with {c.warnings} warning(s) for this {what}.{later}"
    return f"Ready: no problems found in this {what}.{later}"


def _merge(findings: list[Finding], schema: SchemaResult) -> list[Finding]:
    """Loader findings plus the schema's; a duplicate key oumi refuses is said once, as an error."""
    refused = any(f.code == "duplicate_key" and f.severity == "error" for f in schema.findings)
    kept = [f for f in findings if not (refused and f.code == "duplicate_key")]
    return kept + schema.findings


def _after(schema: SchemaResult) -> None:
    """Start loading oumi once the answer is ready, so the next call gets its checks."""
    if schema.oumi_pending:
        warmup.start()


def validate_config(
    config: str, client_cwd: str, task_type: str | None = None, *, oumi_checks: OumiChecks = "auto"
) -> ValidationReport:
    """Validate a config strictly: the oumi index at once, oumi's own checks once it is loaded."""
    task = _task(task_type)
    try:
        loaded, findings = load_config(config, client_cwd)
    except ConfigLoadError as exc:
        findings = [exc.finding]
        return ValidationReport(
            valid=False,
            task_type=task,
            task_type_inferred=False,
            config_file=exc.finding.location.file if exc.finding.location else None,
            summary=_summary(findings, task, ""),
            counts=count(findings),
            findings=findings,
        )
    result = validate_schema(loaded, task, oumi_checks=oumi_checks)
    findings = _merge(findings, result)
    shown, truncated = sort_and_cap(findings)
    report = ValidationReport(
        valid=not count(findings).errors,
        task_type=result.task_type,
        task_type_inferred=result.inferred,
        oumi_checked=result.oumi_checked,
        config_file=loaded.display_file,
        summary=_summary(findings, result.task_type, "", result.oumi_pending),
        counts=count(findings),
        findings=shown,
        truncated=truncated,
    )
    _after(result)
    return report


def _checks(ctx: CheckContext) -> list[Check]:
    checks = [Check("paths", check_paths), Check("credentials", check_credentials)]
    if ctx.task_type != "job":
        checks += [
            Check("packages", check_packages),
            Check("eval_data", check_eval_data),
            Check("custom_eval", check_custom_eval),
            Check("datasets", check_datasets),
            Check("models", check_models),
            Check("hardware", check_hardware),
            Check("hub_models", check_hub_models, NETWORK_TIMEOUT_S),
            Check("hub_datasets", check_hub_datasets, NETWORK_TIMEOUT_S),
        ]
    if ctx.remote:
        checks.append(Check("cloud", check_cloud_enabled))
    return checks


def suggest_recipes(task: str | None, model: str | None) -> list[str]:
    """Up to three catalog recipes to compare with; empty when the catalog is unavailable."""
    try:
        from oumi_mcp_server.recipes.service import suggest_similar

        found: Any = suggest_similar(task or "training", model, limit=3)
    except (ImportError, AttributeError):
        return []
    except Exception:
        logger.info("recipe suggestions unavailable", exc_info=True)
        return []
    out: list[str] = []
    for item in list(found or [])[:3]:
        if isinstance(item, str):
            out.append(item)
        elif isinstance(item, dict):
            out.append(str(item.get("path") or item.get("name") or item))
        else:
            out.append(str(getattr(item, "path", None) or getattr(item, "name", None) or item))
    return out


def run_preflight(
    config: str,
    client_cwd: str,
    cloud: str | None = None,
    overall_timeout: float = OVERALL_TIMEOUT_S,
    *,
    oumi_checks: OumiChecks = "auto",
    overrides: Mapping[str, Scalar] | None = None,
) -> PreflightReport:
    """Everything that would make the run fail before it costs time or money, with fixes
    (checked on the config with the launch's `overrides` applied)."""
    target = _cloud(cloud)
    where = f" on {target}" if target else ""
    try:
        loaded, findings = load_config(config, client_cwd)
    except ConfigLoadError as exc:
        findings = [exc.finding]
        return PreflightReport(
            ready=False,
            summary=_summary(findings, None, where),
            cloud=target,
            config_file=exc.finding.location.file if exc.finding.location else None,
            counts=count(findings),
            findings=findings,
            checks_run=["config"],
            checks_skipped=[SkippedCheck(name="others", reason="the config did not load")],
            suggested_recipes=suggest_recipes(None, None),
        )
    loaded = with_overrides(loaded, overrides)
    remote = bool(target) and target != "local"
    schema = validate_schema(loaded, None, remote=remote, oumi_checks=oumi_checks)
    findings = _merge(findings, schema)
    ctx = CheckContext(
        loaded=loaded, task_type=schema.task_type, cloud=target, config=schema.config
    )
    run_names, skipped = ["config"], []
    if schema.task_type is None:
        skipped.append(SkippedCheck(name="others", reason="unknown config kind"))
    else:
        result = run_checks(_checks(ctx), ctx, overall_timeout)
        run_names += result.ran
        skipped += result.skipped
        if "datasets" in result.ran:  # it reports missing dataset files itself
            findings = [f for f in findings if f.code != "dataset_not_found"]
        findings += result.findings
    shown, truncated = sort_and_cap(findings)
    errors = count(findings).errors
    model = get(loaded.data, "model", "model_name")
    report = PreflightReport(
        ready=not errors,
        summary=_summary(findings, schema.task_type, where, schema.oumi_pending),
        task_type=schema.task_type,
        task_type_inferred=schema.inferred,
        oumi_checked=schema.oumi_checked,
        config_file=loaded.display_file,
        cloud=target,
        counts=count(findings),
        findings=shown,
        truncated=truncated,
        checks_run=run_names,
        checks_skipped=skipped,
        memory=ctx.memory,
        suggested_recipes=suggest_recipes(
            schema.task_type, model if isinstance(model, str) else None
        )
        if errors
        else [],
    )
    _after(schema)
    return report
