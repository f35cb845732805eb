"""One error type for every service, so the MCP surface can turn it into a structured answer."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any


@dataclass
class ServiceError(Exception):
    """A failure the caller can act on: what was wrong (`code`, `message`) and how to fix it."""

    code: str
    message: str
    fix: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__(self.message)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.fix:
            out["fix"] = self.fix
        if self.details:
            out["details"] = self.details
        return out

    def to_json(self) -> str:
        return json.dumps({"error": self.to_dict()}, ensure_ascii=False, default=str)
