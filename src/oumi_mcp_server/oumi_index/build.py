"""Build the two index documents from oumi's source: `schema` (config classes, registries, CLI,
kinds; what validation needs) and `api` (every public module, class and function; for get_docs).
Both are plain JSON-able dicts, so the on-disk cache loads them with one json.load."""

from __future__ import annotations

import ast
import os
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from oumi_mcp_server.oumi_index import clitree, registries
from oumi_mcp_server.oumi_index.astparse import ClassInfo
from oumi_mcp_server.oumi_index.kinds import (
    CLI_ALIASES,
    CLI_ANALYZE,
    CLI_MAIN,
    KINDS,
    SCHEMA_MODULES,
    SCHEMA_PACKAGES,
)
from oumi_mcp_server.oumi_index.resolver import Resolver
from oumi_mcp_server.oumi_index.source import OumiSource

FORMAT = 1
_SKIP_DIRS = frozenset({"tests", "__pycache__", "mcp"})


def _package_modules(resolver: Resolver, package: str) -> list[str]:
    path = resolver.source.module_path(package)
    if path is None or path.name != "__init__.py":
        return [package] if path else []
    out = []
    for folder, dirs, files in os.walk(path.parent):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS and not d.startswith("_"))
        for name in sorted(files):
            if name.endswith(".py") and (name == "__init__.py" or not name.startswith("_")):
                out.append(resolver.source.module_name(Path(folder) / name))
    return out


def _refs(t: Any) -> list[str]:
    if isinstance(t, list):
        if t[0] == "ref":
            return [t[1]]
        return [r for part in t[1:] for r in _refs(part)]
    return []


def _class_record(resolver: Resolver, cls: ClassInfo) -> dict[str, Any]:
    q = cls.qualname
    is_enum = resolver.is_enum(q)
    is_dc = resolver.is_dataclass(q)
    rec: dict[str, Any] = {
        "name": cls.name,
        "module": cls.module,
        "line": cls.line,
        "doc": cls.doc,
        "kind": "enum" if is_enum else "dataclass" if is_dc else "class",
        "bases": resolver.bases(cls),
        "methods": [{"name": m.name, "sig": m.signature, "doc": m.doc} for m in cls.methods],
    }
    if is_dc:
        rec["fields"] = [
            {
                "name": f.name,
                "type": f.annotation,
                "t": f.type,
                "default": f.default,
                "factory": f.factory,
                "required": f.default is None and f.init,
                "doc": f.doc,
            }
            for f in resolver.dataclass_fields(q)
            if f.init
        ]
    if is_enum:
        rec["members"] = [asdict(m) for m in _enum_members(resolver, q)]
    return rec


def _enum_members(resolver: Resolver, qualname: str) -> list[Any]:
    cls = resolver.class_info(qualname)
    if cls is None:
        return []
    inherited = [
        m for b in resolver.bases(cls) if resolver.is_enum(b) for m in _enum_members(resolver, b)
    ]
    return inherited + cls.members


def build_schema(source: OumiSource, resolver: Resolver | None = None) -> dict[str, Any]:
    """Config classes (closure of every kind's class), registries, CLI commands and aliases."""
    start = time.perf_counter()
    resolver = resolver or Resolver(source)
    queue: list[str] = []
    for package in (*SCHEMA_PACKAGES, *SCHEMA_MODULES):
        for name in _package_modules(resolver, package):
            mod = resolver.module(name)
            queue += [c.qualname for c in mod.classes.values()] if mod else []
    kinds = {}
    for kind, spec in KINDS.items():
        q = resolver.resolve(spec.root)
        kinds[kind] = {
            "class": q,
            "command": spec.command,
            "loader": spec.loader,
            "finalize": spec.finalize,
        }
        queue.append(q)
    classes: dict[str, dict[str, Any]] = {}
    while queue:
        q = queue.pop()
        cls = resolver.class_info(q)
        if q in classes or cls is None:
            continue
        rec = _class_record(resolver, cls)
        classes[q] = rec
        queue += rec["bases"]
        for f in rec.get("fields", []):
            queue += _refs(f["t"])
    regs: dict[str, list[dict[str, Any]]] = {}
    for path in registries.candidate_files(source.root):
        mod = resolver.module(source.module_name(path))
        for r in registries.registrations(mod, resolver) if mod else []:
            regs.setdefault(r.kind, []).append(asdict(r))
    analyze_cli = resolver.module(CLI_ANALYZE)
    old_fields = analyze_cli.constants.get("_OLD_CONFIG_FIELDS") if analyze_cli else None
    return {
        "format": FORMAT,
        "oumi_version": source.version,
        "fingerprint": source.fingerprint,
        "root": str(source.root),
        "kinds": kinds,
        "classes": classes,
        "registries": regs,
        "aliases": registries.aliases(resolver.module(CLI_ALIASES)),
        "cli": [asdict(c) for c in clitree.commands(resolver.module(CLI_MAIN), resolver)],
        "analyze_v1_fields": sorted(
            e.value
            for e in (old_fields.elts if isinstance(old_fields, ast.Set) else [])
            if isinstance(e, ast.Constant) and isinstance(e.value, str)
        ),
        "build_s": round(time.perf_counter() - start, 3),
    }


def build_api(source: OumiSource, resolver: Resolver | None = None) -> dict[str, Any]:
    """Every public module of oumi: its summary, public classes and functions with signatures."""
    start = time.perf_counter()
    resolver = resolver or Resolver(source)
    modules: dict[str, str] = {}
    entries: list[dict[str, Any]] = []
    for name in _package_modules(resolver, "oumi"):
        mod = resolver.module(name)
        if mod is None:
            continue
        modules[name] = mod.doc
        for cls in mod.classes.values():
            if cls.name.startswith("_"):
                continue
            entries.append(
                {"k": "class", "n": cls.name, "m": name, "s": cls.init_signature, "d": cls.doc}
            )
            entries += [
                {"k": "method", "n": m.name, "m": name, "p": cls.name, "s": m.signature, "d": m.doc}
                for m in cls.methods
            ]
        entries += [
            {"k": "function", "n": f.name, "m": name, "s": f.signature, "d": f.doc}
            for f in mod.functions
        ]
    return {
        "format": FORMAT,
        "oumi_version": source.version,
        "fingerprint": source.fingerprint,
        "modules": modules,
        "entries": entries,
        "build_s": round(time.perf_counter() - start, 3),
    }
