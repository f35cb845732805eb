"""get_docs and list_modules over the oumi index (blocking: call through run_blocking).

Works offline and imports nothing of oumi: the first call reads the on-disk index (or builds it
from oumi's source, under a second); answers stay under ~8 KB.
"""

from __future__ import annotations

import threading

import pydantic_core
from pydantic import BaseModel

from oumi_mcp_server.core.echo import short
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.oumi_index import cache, docs
from oumi_mcp_server.oumi_index.models import DocHit, DocsAnswer, ModuleGroup, ModulesAnswer

MAX_LIMIT = 25
MAX_PACKAGES = 11
"""list_modules shows the largest packages (the answer stays under 8 KB); get_docs finds all."""
ANSWER_BYTES = 7_800  # as the client reads it (indented JSON), under 8 KB
TOP_DETAIL = 40  # fields / members / options listed for the best hit
SUMMARY_CHARS = 300
_lock = threading.Lock()
_entries: dict[str, list[docs.Entry]] = {}


def _all_entries() -> list[docs.Entry]:
    api = cache.api()  # first: a cold build of both parses the shared modules once
    index = cache.schema()
    key = index.doc["fingerprint"]
    with _lock:
        if key not in _entries:
            schema_part = docs.schema_entries(index)
            known = {e.qualname for e in schema_part}
            _entries.clear()
            _entries[key] = docs.prepare(schema_part + docs.api_entries(api, known))
        return _entries[key]


def shown_size(answer: BaseModel) -> int:
    """The answer's size as the client receives it (the SDK indents the JSON by 2)."""
    return len(pydantic_core.to_json(answer.model_dump(mode="json"), indent=2))


def _hit(e: docs.Entry, detailed: bool) -> DocHit:
    items: list[str] = []
    for key in ("fields", "members", "options"):
        items += e.detail.get(key, [])
    shown = items[:TOP_DETAIL] if detailed else []
    return DocHit(
        kind=e.kind,
        name=e.name,
        qualname=e.qualname,
        signature=short(e.signature, 300) if e.signature else None,
        summary=short(e.summary, SUMMARY_CHARS),
        yaml_keys=e.yaml_keys,
        fields=shown,
        more_fields=len(items) - len(shown) if detailed else 0,
    )


def _check_kind(kind: str | None) -> str | None:
    if not kind or not kind.strip():
        return None
    k = kind.strip().lower()
    if k not in docs.KINDS:
        raise ServiceError(
            "bad_kind",
            f"Unknown kind `{short(kind, 40)}`.",
            f"Use one of: {', '.join(docs.KINDS)}; or omit it.",
        )
    return k


def get_docs(
    query: str, module: str | None = None, kind: str | None = None, limit: int = 10
) -> DocsAnswer:
    words = docs.terms(query or "")
    if not words:
        raise ServiceError(
            "empty_query",
            "No search terms given.",
            "Pass a name or words, e.g. 'learning_rate', 'TrainingConfig', 'lora'.",
        )
    if not 1 <= limit <= MAX_LIMIT:
        raise ServiceError("bad_limit", f"limit must be 1-{MAX_LIMIT}.", "Pass a smaller limit.")
    wanted = _check_kind(kind)
    prefix = (module or "").strip().lower()
    phrase = " ".join(words)
    entries = _all_entries()
    scored = []
    for i, e in enumerate(entries):
        if wanted and e.kind != wanted:
            continue
        if prefix and not e.qualname.lower().startswith(prefix):
            continue
        s = docs.score(e, words, phrase)
        if s > 0:
            scored.append((-s, i, e))
    scored.sort(key=lambda x: (x[0], x[1]))
    answer = DocsAnswer(
        query=short(query, 200),
        oumi_version=cache.schema().version,
        total_matches=len(scored),
        results=[_hit(e, detailed=rank == 0) for rank, (_, _, e) in enumerate(scored[:limit])],
        did_you_mean=[] if scored else docs.did_you_mean(entries, words),
        hint=""
        if scored
        else "No match: try a shorter word, a config key (learning_rate) or list_modules.",
    )
    while len(answer.results) > 1 and shown_size(answer) > ANSWER_BYTES:
        answer.results.pop()
    answer.truncated = len(answer.results) < min(limit, len(scored))
    return answer


def list_modules() -> ModulesAnswer:
    index = cache.schema()
    api = cache.api()
    groups: dict[str, ModuleGroup] = {}
    counts: dict[str, tuple[int, int]] = {}
    for e in api["entries"]:
        c, f = counts.get(e["m"], (0, 0))
        counts[e["m"]] = (c + (e["k"] == "class"), f + (e["k"] == "function"))
    for name, summary in sorted(api["modules"].items()):
        parts = name.split(".")
        package = ".".join(parts[:2])
        group = groups.setdefault(
            package, ModuleGroup(package=package, modules=0, classes=0, functions=0)
        )
        if name == package:
            group.summary = short(summary, 48)
        c, f = counts.get(name, (0, 0))
        group.modules += 1
        group.classes += c
        group.functions += f
        if len(parts) > 2 and parts[2] not in group.subpackages and len(group.subpackages) < 3:
            group.subpackages.append(parts[2])
    registries = {
        docs.REGISTRY_KINDS.get(k, k): len(index.registry(k)) for k in index.registry_kinds()
    }
    return ModulesAnswer(
        oumi_version=index.version,
        packages=sorted(
            (g for g in groups.values() if g.classes or g.functions),
            key=lambda g: -(g.classes + g.functions),
        )[:MAX_PACKAGES],
        config_kinds={k: index.kind_class(k).rsplit(".", 1)[-1] for k in index.kinds},
        registries=registries,
        cli_commands=len(index.doc["cli"]),
        named_configs=len(index.doc["aliases"]),
        total_entries=len(_all_entries()),
        hint="get_docs(query, module='oumi.core.configs', kind='field') searches inside; kinds: "
        + ", ".join(docs.KINDS),
    )
