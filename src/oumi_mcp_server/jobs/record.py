"""The stored job record: identity and history, never a status. Standard library only (the
supervisor imports the store, which imports this)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

LOCAL_BACKEND = "local"
LAUNCHER_BACKEND = "launcher"


@dataclass
class JobRecord:
    """Identity and history of one job; never a status (status is resolved when asked)."""

    id: str
    name: str
    command: str
    backend: str
    backend_job_id: str
    submitted_at: float
    run_dir: str
    cluster: str = ""
    output_dir: str = ""
    model: str = ""
    config_path: str = ""
    source_config: str = ""
    cwd: str = ""
    argv: list[str] = field(default_factory=list)
    origin: str = "mcp"
    legacy_status: str | None = None
    final_status: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)
