"""Search over the index: config classes and their fields (with the YAML key that sets each),
enums, registered names (datasets, models, metrics, analyzers, trainers, engines...), CLI
commands, named configs, and every public class and function of oumi."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from oumi_mcp_server.oumi_index.schema import SchemaIndex

# Registry kind in the index -> the kind a caller filters on.
REGISTRY_KINDS = {
    "dataset": "dataset",
    "model": "model",
    "evaluation_function": "metric",
    "reward_function": "reward",
    "sample_analyzer": "analyzer",
    "environment": "environment",
    "tool_executor": "tool",
    "cloud": "cloud",
    "rule": "judge_rule",
    "trainer": "trainer",
    "inference_engine": "engine",
    "evaluation_backend": "eval_backend",
}
KINDS = (
    "config",
    "dataclass",
    "enum",
    "field",
    "class",
    "function",
    "method",
    *REGISTRY_KINDS.values(),
    "cli",
    "alias",
)
_WORD = re.compile(r"[A-Za-z0-9_.\-/]+")
_MAX_PATH_DEPTH = 4


@dataclass
class Entry:
    kind: str
    name: str
    module: str
    summary: str
    signature: str = ""
    parent: str = ""
    yaml_keys: list[str] = field(default_factory=list)
    detail: dict[str, Any] = field(default_factory=dict)  # fields / members / options
    boost: float = 0.0
    haystack: str = ""

    @property
    def qualname(self) -> str:
        owner = f"{self.parent}." if self.parent else ""
        return f"{self.module}.{owner}{self.name}" if self.module else f"{owner}{self.name}"


def _yaml_paths(index: SchemaIndex) -> dict[tuple[str, str], list[str]]:
    """(class qualname, field) -> YAML keys that set it, from each config kind's class."""
    out: dict[tuple[str, str], list[str]] = {}
    for kind in index.kinds:
        queue: list[tuple[str, str, int]] = [(index.kind_class(kind), "", 0)]
        seen: set[str] = set()
        while queue:
            q, prefix, depth = queue.pop(0)
            if q in seen or depth > _MAX_PATH_DEPTH:
                continue
            seen.add(q)
            for name, f in index.fields(q).items():
                key = f"{prefix}{name}"
                paths = out.setdefault((q, name), [])
                label = f"{kind}: {key}"
                if label not in paths and len(paths) < 3:
                    paths.append(label)
                for ref in _refs(f["t"]):
                    if index.is_dataclass(ref):
                        sep = "[]." if _is_list(f["t"]) else "."
                        queue.append((ref, f"{key}{sep}", depth + 1))
    return out


def _refs(t: Any) -> list[str]:
    if isinstance(t, list):
        if t[0] == "ref":
            return [t[1]]
        return [r for part in t[1:] for r in _refs(part)]
    return []


def _is_list(t: Any) -> bool:
    if isinstance(t, list) and t[0] == "union":
        return any(_is_list(m) for m in t[1])
    return isinstance(t, list) and t[0] == "list"


def _field_line(f: dict[str, Any]) -> str:
    default = "required" if f["required"] else f"= {f['default']}"
    return f"{f['name']}: {f['type']} {default}"[:120]


def schema_entries(index: SchemaIndex) -> list[Entry]:
    paths = _yaml_paths(index)
    roots = {index.kind_class(k): k for k in index.kinds}
    out: list[Entry] = []
    for q, rec in index.classes.items():
        module = rec["module"]
        kind = "config" if q in roots else rec["kind"]
        detail: dict[str, Any] = {}
        if rec["kind"] == "dataclass":
            detail["fields"] = [_field_line(f) for f in rec.get("fields", [])]
        if rec["kind"] == "enum":
            detail["members"] = [m["name"] for m in rec.get("members", [])]
        summary = rec["doc"]
        if q in roots:
            summary = (
                f"The `{roots[q]}` config (oumi {index.doc['kinds'][roots[q]]['command']}). "
                + summary
            )
        out.append(
            Entry(
                kind, rec["name"], module, summary, boost=3.0 if q in roots else 1.0, detail=detail
            )
        )
        for f in rec.get("fields", []):
            out.append(
                Entry(
                    "field",
                    f["name"],
                    module,
                    f["doc"],
                    signature=_field_line(f),
                    parent=rec["name"],
                    yaml_keys=paths.get((q, f["name"]), []),
                    boost=1.0,
                )
            )
    for kind in index.registry_kinds():
        shown = REGISTRY_KINDS.get(kind, kind)
        for r in index.registry(kind):
            name = r["name"] + (f"/{r['subset']}" if r.get("subset") else "")
            target = r.get("target", "")
            out.append(
                Entry(shown, name, "", r.get("doc", ""), signature=f"-> {target}", boost=1.5)
            )
    for c in index.doc["cli"]:
        options = [f"{', '.join(o['flags'])}: {o['help']}"[:140] for o in c["options"]]
        out.append(
            Entry(
                "cli",
                f"oumi {c['command']}",
                "",
                c["help"],
                signature=f"-> {c['target']}",
                detail={"options": options},
                boost=2.0 if not c["hidden"] else 0.5,
            )
        )
    for name, targets in index.doc["aliases"].items():
        where = "; ".join(f"{k}: {v}" for k, v in targets.items())
        out.append(Entry("alias", name, "", f"Named config: {where}", boost=0.5))
    return out


def api_entries(api: dict[str, Any], known: set[str]) -> list[Entry]:
    out = []
    for e in api["entries"]:
        qual = f"{e['m']}.{e.get('p', '')}.{e['n']}" if e.get("p") else f"{e['m']}.{e['n']}"
        if qual in known:
            continue  # already there as a config class, with its fields
        boost = {"class": 1.0, "function": 0.5}.get(e["k"], 0.0)  # methods last on a tie
        out.append(Entry(e["k"], e["n"], e["m"], e["d"], e["s"], e.get("p", ""), boost=boost))
    return out


def prepare(entries: list[Entry]) -> list[Entry]:
    for e in entries:
        e.haystack = " ".join(
            [e.qualname.lower(), e.summary.lower(), " ".join(e.yaml_keys).lower()]
        )
    return entries


def terms(query: str) -> list[str]:
    return [t.lower() for t in _WORD.findall(query)][:8]


def score(e: Entry, words: list[str], phrase: str) -> float:
    name = e.name.lower()
    qual = e.qualname.lower()
    if phrase in (name, qual) or any(phrase == k.split(": ")[-1] for k in e.yaml_keys):
        return 1000.0 + e.boost
    total, matched = 0.0, 0
    for w in words:
        s = 0.0
        if w == name:
            s = 100
        elif name.startswith(w):
            s = 60
        elif w in name:
            s = 40
        elif w in qual:
            s = 20
        elif w in e.haystack:
            s = 5
        if s:
            matched += 1
        total += s
    if not matched:
        return 0.0
    return total * (matched / len(words)) ** 2 + e.boost


def did_you_mean(entries: list[Entry], words: list[str]) -> list[str]:
    names = sorted({e.name for e in entries})
    out: list[str] = []
    for w in words:
        out += difflib.get_close_matches(w, names, n=3, cutoff=0.7)
    return list(dict.fromkeys(out))[:5]
