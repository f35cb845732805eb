"""What oumi registers by decorator (`@register_dataset("alpaca")`, `@register("x",
RegistryType.MODEL)`, ...) and its named config aliases, read from the source."""

from __future__ import annotations

import ast
import os
from dataclasses import dataclass
from pathlib import Path

from oumi_mcp_server.oumi_index.astparse import ModuleInfo, first_paragraph
from oumi_mcp_server.oumi_index.resolver import Resolver

# Decorator -> registry kind (oumi.core.registry's RegistryType, lower case).
_DECORATORS = {
    "register_dataset": "dataset",
    "register_evaluation_function": "evaluation_function",
    "register_sample_analyzer": "sample_analyzer",
    "register_environment": "environment",
    "register_tool_executor": "tool_executor",
    "register_cloud_builder": "cloud",
}
_SKIP_DIRS = frozenset({"tests", "__pycache__", "mcp"})


@dataclass
class Registration:
    kind: str
    name: str
    target: str  # qualname of the registered class or function
    doc: str
    subset: str | None = None


def candidate_files(root: Path) -> list[Path]:
    """Files that may register something (a cheap text test before parsing)."""
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            if name.endswith(".py"):
                path = Path(folder) / name
                try:
                    text = path.read_bytes()
                except OSError:
                    continue
                if b"@" in text and b"register" in text:
                    out.append(path)
    return out


def _string(node: ast.expr | None) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def registrations(mod: ModuleInfo, resolver: Resolver) -> list[Registration]:
    found: list[Registration] = []
    for name, decorators, doc in mod.decorated:
        for dec in decorators:
            if not isinstance(dec, ast.Call) or not dec.args:
                continue
            func = resolver.qualify(mod, dec.func)
            if not func.startswith("oumi.core.registry"):
                continue
            short = func.rsplit(".", 1)[-1]
            reg_name = _string(dec.args[0])
            if reg_name is None:
                continue
            kind = _DECORATORS.get(short)
            if short == "register" and len(dec.args) > 1:
                kind = ast.unparse(dec.args[1]).rsplit(".", 1)[-1].lower()
            if kind is None:
                continue
            subset = next((_string(k.value) for k in dec.keywords if k.arg == "subset"), None)
            found.append(
                Registration(
                    kind, reg_name, f"{mod.name}.{name}", first_paragraph(doc, 240), subset
                )
            )
    return found


def aliases(mod: ModuleInfo | None) -> dict[str, dict[str, str]]:
    """oumi's named configs (`oumi train -c llama3.1-8b`): alias -> {command: oumi:// path}."""
    node = mod.constants.get("_ALIASES") if mod else None
    out: dict[str, dict[str, str]] = {}
    if not isinstance(node, ast.Dict):
        return out
    for key, value in zip(node.keys, node.values, strict=False):
        name = _string(key)
        if name is None or not isinstance(value, ast.Dict):
            continue
        targets = {}
        for k, v in zip(value.keys, value.values, strict=False):
            path = _string(v)
            if k is not None and path:
                targets[ast.unparse(k).rsplit(".", 1)[-1].lower()] = path
        out[name] = targets
    return out
