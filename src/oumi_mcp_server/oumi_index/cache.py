"""The index, built once per oumi installation and kept on disk (core.paths.cache_dir()) and in
memory. A build holds every parsed module at once; the cyclic GC is paused meanwhile (it would
otherwise rescan the growing trees over and over: ~2x the build time)."""

from __future__ import annotations

import contextlib
import gc
import json
import logging
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from oumi_mcp_server.core.atomic import write_text_atomic
from oumi_mcp_server.core.paths import cache_dir
from oumi_mcp_server.oumi_index import build
from oumi_mcp_server.oumi_index.resolver import Resolver
from oumi_mcp_server.oumi_index.schema import SchemaIndex
from oumi_mcp_server.oumi_index.source import OumiSource, find_oumi

logger = logging.getLogger(__name__)
_lock = threading.Lock()
_source: OumiSource | None = None
_memory: dict[str, dict[str, Any]] = {}  # "schema-<fingerprint>" / "api-<fingerprint>" -> doc
_schema: dict[str, SchemaIndex] = {}


def source() -> OumiSource:
    """The installed oumi, located once per process."""
    global _source
    if _source is None:
        _source = find_oumi()
    return _source


def index_dir() -> Path:
    path = cache_dir() / "oumi-index"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _file(part: str, src: OumiSource) -> Path:
    return index_dir() / f"{part}-{src.version}-{src.fingerprint}-f{build.FORMAT}.json"


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


def _read(path: Path, src: OumiSource) -> dict[str, Any] | None:
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(doc, dict) and doc.get("fingerprint") == src.fingerprint
    return doc if ok and doc.get("format") == build.FORMAT else None


def _write(path: Path, part: str, doc: dict[str, Any]) -> None:
    try:
        write_text_atomic(path, json.dumps(doc, separators=(",", ":")), mode=0o644)
        for old in path.parent.glob(f"{part}-*.json"):
            if old != path:
                old.unlink(missing_ok=True)
    except OSError:
        logger.info("oumi index not cached at %s", path, exc_info=True)


def _document(
    part: str,
    builder: Callable[[OumiSource, Resolver], dict[str, Any]],
    resolver: Resolver | None = None,
) -> dict[str, Any]:
    src = source()
    key = f"{part}-{src.fingerprint}"
    with _lock:
        if key in _memory:
            return _memory[key]
        path = _file(part, src)
        doc = _read(path, src)
        if doc is None:
            with _gc_paused():
                doc = builder(src, resolver or Resolver(src))
            _write(path, part, doc)
        _memory[key] = doc
        return doc


def schema() -> SchemaIndex:
    """Config classes, registries, CLI commands and aliases of the installed oumi."""
    doc = _document("schema", build.build_schema)
    key = doc["fingerprint"]
    if key not in _schema:
        _schema[key] = SchemaIndex(doc)
    return _schema[key]


def api() -> dict[str, Any]:
    """Every public module, class and function of the installed oumi (for get_docs). Built
    cold together with the schema, the modules both read are parsed once."""
    shared = Resolver(source())
    _document("schema", build.build_schema, shared)
    return _document("api", build.build_api, shared)


def clear_memory() -> None:
    """Forget the in-memory copies (tests: the next call reads or rebuilds the disk cache)."""
    global _source
    with _lock:
        _memory.clear()
        _schema.clear()
        _source = None
