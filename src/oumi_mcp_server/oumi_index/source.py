"""Where the installed oumi lives and which version it is, found without importing it."""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from oumi_mcp_server.core.errors import ServiceError


@dataclass(frozen=True)
class OumiSource:
    root: Path  # the `oumi` package folder
    version: str
    fingerprint: str  # changes when the installation changes (reinstall, editable edits)

    def module_path(self, module: str) -> Path | None:
        """The file of dotted `module` (oumi.x.y), a package's __init__.py or a .py file."""
        parts = module.split(".")[1:]
        base = self.root.joinpath(*parts)
        for candidate in (base / "__init__.py", base.with_suffix(".py")):
            if candidate.is_file():
                return candidate
        return None

    def module_name(self, path: Path) -> str:
        rel = path.relative_to(self.root.parent).with_suffix("")
        parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
        return ".".join(parts)


def _stamp(path: Path) -> str:
    try:
        st = path.stat()
    except OSError:
        return "-"
    return f"{st.st_mtime_ns}:{st.st_size}"


def find_oumi() -> OumiSource:
    """The installed oumi (find_spec on a top-level package imports nothing)."""
    spec = importlib.util.find_spec("oumi")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise ServiceError(
            "oumi_not_installed",
            "oumi is not installed in this server's Python environment.",
            "Install it (pip install oumi) in the environment that runs oumi-mcp-server.",
        )
    root = Path(locations[0])
    try:
        dist = importlib.metadata.distribution("oumi")
        version = dist.version
        record = Path(str(dist.locate_file(f"{dist.metadata['Name']}-{version}.dist-info")))
        stamps = [_stamp(record / "RECORD"), _stamp(root / "__init__.py")]
    except (importlib.metadata.PackageNotFoundError, TypeError, KeyError):
        version, stamps = "unknown", [_stamp(root / "__init__.py")]
    digest = hashlib.sha256("|".join([str(root), version, *stamps]).encode()).hexdigest()[:12]
    return OumiSource(root=root, version=version, fingerprint=digest)
