"""Read access to the schema document: config kinds, classes, fields, enums and registries."""

from __future__ import annotations

from typing import Any

# Enums whose members are names a config picks from, shown with the decorator registries.
ENUM_REGISTRIES = {
    "trainer": "TrainerType",
    "inference_engine": "InferenceEngineType",
    "evaluation_backend": "EvaluationBackend",
}


class SchemaIndex:
    """One oumi installation's config schema (built by oumi_index.build.build_schema)."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.classes: dict[str, dict[str, Any]] = doc["classes"]
        self.kinds: dict[str, dict[str, Any]] = doc["kinds"]
        self._fields: dict[str, dict[str, dict[str, Any]]] = {}
        self._by_name: dict[str, list[str]] = {}
        for q, rec in self.classes.items():
            self._by_name.setdefault(rec["name"], []).append(q)
        self._registry_names: dict[str, set[str]] = {
            kind: {_full(r).lower() for r in entries} for kind, entries in doc["registries"].items()
        }

    @property
    def version(self) -> str:
        return str(self.doc["oumi_version"])

    def kind_class(self, kind: str) -> str:
        return str(self.kinds[kind]["class"])

    def cls(self, qualname: str) -> dict[str, Any] | None:
        return self.classes.get(qualname)

    def by_name(self, name: str) -> list[str]:
        return self._by_name.get(name, [])

    def fields(self, qualname: str) -> dict[str, dict[str, Any]]:
        if qualname not in self._fields:
            rec = self.classes.get(qualname) or {}
            self._fields[qualname] = {f["name"]: f for f in rec.get("fields", [])}
        return self._fields[qualname]

    def is_dataclass(self, qualname: str) -> bool:
        rec = self.classes.get(qualname)
        return bool(rec and rec["kind"] == "dataclass")

    def enum_members(self, qualname: str) -> list[dict[str, Any]] | None:
        rec = self.classes.get(qualname)
        return rec.get("members") if rec and rec["kind"] == "enum" else None

    def top_level_keys(self) -> set[str]:
        return {name for k in self.kinds for name in self.fields(self.kind_class(k))}

    def registry(self, kind: str) -> list[dict[str, Any]]:
        """Registered names of one kind; enum-backed kinds list their members."""
        if kind in ENUM_REGISTRIES:
            out = []
            for q in self.by_name(ENUM_REGISTRIES[kind]):
                for m in self.enum_members(q) or []:
                    out.append({"name": m["name"], "target": q, "doc": m["doc"]})
            return out
        return list(self.doc["registries"].get(kind, []))

    def registry_kinds(self) -> list[str]:
        return sorted({*self.doc["registries"], *ENUM_REGISTRIES})

    def registered(self, kind: str, name: str, subset: str | None = None) -> bool:
        """As oumi's REGISTRY looks names up: case-insensitive, `name/subset` first."""
        names = self._registry_names.get(kind, set())
        if subset and f"{name}/{subset}".lower() in names:
            return True
        return name.lower() in names

    def registry_names(self, kind: str) -> list[str]:
        """Names as oumi's REGISTRY keys them (`name/subset` for a dataset subset)."""
        return sorted(_full(r) for r in self.doc["registries"].get(kind, []))


def _full(entry: dict[str, Any]) -> str:
    subset = entry.get("subset")
    return f"{entry['name']}/{subset}" if subset else str(entry["name"])
