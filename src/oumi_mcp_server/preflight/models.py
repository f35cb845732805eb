"""Answers of validation and pre-flight: findings with a severity, a code, a fix and a location."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from oumi_mcp_server.core.vocabulary import CONFIG_KINDS, ConfigKind

Severity = Literal["error", "warning", "info"]
TaskType = ConfigKind
TASK_TYPES: tuple[str, ...] = CONFIG_KINDS
MAX_FINDINGS = 20
FINDINGS_BUDGET_BYTES = 5_000


def _nullable(kind: str) -> WithJsonSchema:
    """`kind` or null as two `anyOf` branches: a `type` list trips several MCP clients."""
    return WithJsonSchema({"anyOf": [{"type": kind}, {"type": "null"}]})


# Compact schemas: `tools/list` is read by the assistant on every session.
OptStr = Annotated[str | None, _nullable("string")]
OptInt = Annotated[int | None, _nullable("integer")]
OptFloat = Annotated[float | None, _nullable("number")]
_SEVERITY_ORDER = {"error": 0, "warning": 1, "info": 2}


def _drop_defaults(schema: dict[str, Any]) -> None:
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)
    schema.pop("description", None)


class Compact(BaseModel):
    """Models whose JSON schema leaves out defaults and docstrings (smaller `tools/list`)."""

    model_config = ConfigDict(json_schema_extra=_drop_defaults)


class Location(Compact):
    """File ('<inline>' for inline YAML), 1-based line and column, dotted config key."""

    file: OptStr = None
    line: OptInt = None
    column: OptInt = None
    key: OptStr = None


class Finding(Compact):
    severity: Severity
    code: str
    message: str
    fix: str = ""
    location: Location | None = None


class SkippedCheck(Compact):
    name: str
    reason: str


class Counts(Compact):
    errors: int
    warnings: int
    infos: int


class MemoryEstimate(Compact):
    """Rough memory need per device (formula in preflight.memory)."""

    params_billion: float
    params_source: str
    need_gb: float
    available_gb: OptFloat = None
    compared_with: str


class ValidationReport(Compact):
    valid: bool
    task_type: OptStr = None
    task_type_inferred: bool = False
    oumi_checked: bool = False  # oumi's own loader and finalize_and_validate() ran too
    config_file: OptStr = None
    summary: str
    counts: Counts
    findings: list[Finding]
    truncated: bool = False


class PreflightReport(Compact):
    ready: bool
    summary: str
    task_type: OptStr = None
    task_type_inferred: bool = False
    oumi_checked: bool = False
    config_file: OptStr = None
    cloud: OptStr = None
    counts: Counts
    findings: list[Finding]
    truncated: bool = False
    checks_run: list[str]
    checks_skipped: list[SkippedCheck]
    memory: MemoryEstimate | None = None
    suggested_recipes: list[str] = Field(default_factory=list)


def count(findings: list[Finding]) -> Counts:
    return Counts(
        errors=sum(f.severity == "error" for f in findings),
        warnings=sum(f.severity == "warning" for f in findings),
        infos=sum(f.severity == "info" for f in findings),
    )


def sort_and_cap(findings: list[Finding], limit: int = MAX_FINDINGS) -> tuple[list[Finding], bool]:
    """Errors first, no duplicates, at most `limit` and ~5 KB kept (answers stay under 8 KB)."""
    seen: set[tuple[str, str]] = set()
    unique: list[Finding] = []
    for f in sorted(findings, key=lambda f: _SEVERITY_ORDER[f.severity]):
        if (f.code, f.message) in seen:
            continue
        seen.add((f.code, f.message))
        if len(f.message) > 400:
            f = f.model_copy(update={"message": f.message[:397] + "..."})
        unique.append(f)
    kept: list[Finding] = []
    size = 0
    for f in unique[:limit]:
        size += len(f.model_dump_json(exclude_none=True))
        if size > FINDINGS_BUDGET_BYTES:
            break
        kept.append(f)
    return kept, len(kept) < len(unique)
