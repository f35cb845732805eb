"""Validate a config as oumi would: first against the oumi index (keys, types, required values,
did-you-mean; no oumi import, milliseconds), then, once oumi is loaded, with oumi's own loader
and `finalize_and_validate()` (preflight.deep). Our verdict is oumi's plus our advice
(preflight.advice); the index check only refuses what oumi's loader refuses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from oumi_mcp_server.core.echo import short
from oumi_mcp_server.oumi_index import cache
from oumi_mcp_server.preflight import analyze_rules, deep, structure, warmup
from oumi_mcp_server.preflight.advice import config_advice
from oumi_mcp_server.preflight.loading import LoadedConfig, shown_key
from oumi_mcp_server.preflight.models import TASK_TYPES, Finding
from oumi_mcp_server.preflight.structure import MAX_UNKNOWN_KEYS
from oumi_mcp_server.preflight.tasks import best_fit, infer_task_type, schema_kind

OumiChecks = Literal["auto", "wait", "skip"]
"""auto: run oumi's own checks if oumi is loaded, else say they are pending; wait: load oumi
first (seconds, once); skip: the index check only."""


@dataclass
class SchemaResult:
    task_type: str | None
    inferred: bool
    findings: list[Finding] = field(default_factory=list)
    config: Any = None  # oumi's config object, when oumi's checks ran and it built
    oumi_checked: bool = False  # oumi's own loader and finalize_and_validate() ran
    oumi_pending: bool = False  # they did not, because oumi is still loading


def _unknown_kind(loaded: LoadedConfig) -> SchemaResult:
    keys = ", ".join(short(k, 24) for k in list(loaded.data)[:8])
    return SchemaResult(
        None,
        True,
        [
            Finding(
                severity="error",
                code="unknown_task_type",
                message="Cannot tell what kind of Oumi config this is from its top-level keys "
                f"({keys}).",
                fix=f"Pass task_type (one of {', '.join(TASK_TYPES)}).",
                location=loaded.location(()),
            )
        ],
    )


def _duplicates(loaded: LoadedConfig) -> list[Finding]:
    """oumi reads YAML with OmegaConf's loader, which refuses a key given twice."""
    return [
        Finding(
            severity="error",
            code="duplicate_key",
            message=f"Key `{shown_key(d)}` appears more than once; oumi's YAML loader refuses "
            "the file.",
            fix="Keep a single occurrence.",
            location=loaded.location(d),
        )
        for d in loaded.duplicates[:10]
    ]


def _pending_note(version: str) -> Finding:
    failed = warmup.error()
    if failed:
        return Finding(
            severity="warning",
            code="oumi_checks_unavailable",
            message=f"oumi's own config checks could not run: importing oumi failed ({failed}).",
            fix="Repair the oumi install (`oumi env`); keys and types were checked.",
        )
    return Finding(
        severity="info",
        code="oumi_checks_pending",
        message=f"Checked against oumi {version}'s config schema (keys, types, required values). "
        "oumi's own semantic checks (finalize_and_validate) are loading in the background.",
        fix="Validate again in a few seconds to include them; oumi also runs them at launch.",
    )


def validate_schema(
    loaded: LoadedConfig,
    task_type: str | None = None,
    *,
    remote: bool | None = None,
    oumi_checks: OumiChecks = "auto",
) -> SchemaResult:
    """Validate `loaded` as the kind `task_type` (inferred when None)."""
    index = cache.schema()
    inferred = task_type is None
    reason = ""
    if task_type is None:
        task_type, reason = infer_task_type(loaded.data)
    if task_type is None:
        task_type = best_fit(index, loaded.data)
        reason = "the closest set of top-level keys"
    if task_type is None:
        return _unknown_kind(loaded)
    result = SchemaResult(task_type, inferred)
    if inferred:
        result.findings.append(
            Finding(
                severity="info",
                code="task_type_inferred",
                message=f"Validated as a {task_type} config (from {reason}).",
                fix="Pass task_type to validate it as another kind.",
            )
        )
    spec = index.kinds[schema_kind(task_type, loaded.data)]
    qualname = str(spec["class"])
    omegaconf = spec["loader"] == "omegaconf"
    if omegaconf:
        checked = structure.check_omegaconf(index, loaded, qualname)
        result.findings += _duplicates(loaded)
    else:
        checked = analyze_rules.check_analyze(index, loaded, qualname)
    result.findings += checked.findings
    if checked.unknown > MAX_UNKNOWN_KEYS:
        result.findings.append(
            Finding(
                severity="error",
                code="unknown_key",
                message=f"{checked.unknown - MAX_UNKNOWN_KEYS:,} more unknown key(s) not listed; "
                "types and values were not checked.",
                fix=f"Is this a {task_type} config? Fix the keys listed, then validate again.",
            )
        )
        return result
    result.findings += config_advice(task_type, loaded)
    if oumi_checks == "skip":
        return result
    if oumi_checks == "wait":
        warmup.wait()
    if not warmup.ready():
        result.oumi_pending = warmup.error() is None
        result.findings.append(_pending_note(index.version))
        return result
    if loaded.duplicates and omegaconf:
        return result  # oumi stops at the YAML; nothing more to learn from its loader
    errors = any(f.severity == "error" for f in checked.findings)
    if omegaconf and not checked.missing:
        found, result.config = deep.check_omegaconf(
            loaded, qualname, checked.dropped, bool(spec["finalize"]), remote=remote
        )
        result.findings += found
        result.oumi_checked = True
    elif not omegaconf and not errors:
        result.findings += deep.check_analyze(loaded, qualname)
        result.oumi_checked = True
    return result
