"""`oumi analyze` configs, checked the way oumi 0.9 reads them (oumi.analyze.config, the v2
format): `TypedAnalyzeConfig.from_dict` builds each analyzer, custom metric and test with
keyword arguments, so an unknown or missing key in one of them is refused; top-level keys it does
not know are ignored (said here as warnings); the v1 format (`dataset_source`, ...) is refused by
the CLI before it reads anything; custom metric code is refused unless explicitly allowed.
"""

from __future__ import annotations

import difflib
from typing import Any

from oumi_mcp_server.core.echo import short
from oumi_mcp_server.oumi_index.schema import SchemaIndex
from oumi_mcp_server.preflight.loading import KeyPath, LoadedConfig, shown_key
from oumi_mcp_server.preflight.models import Finding
from oumi_mcp_server.preflight.structure import StructureResult

_LEGACY_ANALYZER_KEYS = frozenset({"instance_id"})  # accepted, deprecated (display_name)


class _Rules:
    def __init__(self, index: SchemaIndex, loaded: LoadedConfig, root: str) -> None:
        self.index = index
        self.loaded = loaded
        self.root = root
        self.out = StructureResult()

    def finding(self, severity: str, code: str, path: KeyPath, message: str, fix: str) -> None:
        self.out.findings.append(
            Finding(
                severity=severity,  # type: ignore[arg-type]
                code=code,
                message=message,
                fix=fix,
                location=self.loaded.location(path),
            )
        )

    def item_class(self, name: str) -> str | None:
        module = self.root.rsplit(".", 1)[0]
        found = self.index.by_name(name)
        return next((q for q in found if q.startswith(module)), found[0] if found else None)

    def kwargs(self, item: Any, qualname: str, path: KeyPath, extra: frozenset[str]) -> None:
        """`Class(**item)`: a mapping whose keys are fields, with every required one set."""
        owner = qualname.rsplit(".", 1)[-1]
        if not isinstance(item, dict):
            self.finding(
                "error",
                "invalid_value",
                path,
                f"`{shown_key(path)}` must be a mapping of {owner} keys.",
                f"Write it as `key: value` lines ({', '.join(self.index.fields(qualname))}).",
            )
            return
        fields = self.index.fields(qualname)
        for key in item:
            name = str(key)
            if name in fields or name in extra:
                continue
            near = difflib.get_close_matches(name[:64], list(fields), n=1, cutoff=0.6)
            self.out.unknown += 1
            self.finding(
                "error",
                "unknown_key",
                (*path, name),
                f"Unknown key `{short(name)}` in {shown_key(path)} ({owner}): oumi refuses it."
                + (f" Did you mean `{near[0]}`?" if near else ""),
                f"Rename it to `{near[0]}`." if near else f"Valid keys: {', '.join(fields)}.",
            )
        for name, f in fields.items():
            if f["required"] and name not in item:
                self.out.missing.append((*path, name))
                self.finding(
                    "error",
                    "missing_value",
                    (*path, name),
                    f"`{shown_key((*path, name))}` is required ({owner}) and not set.",
                    f"Add `{name}`.",
                )

    def analyzers(self, items: list[Any]) -> None:
        cls = self.item_class("AnalyzerConfig")
        ids: dict[str, KeyPath] = {}
        known = self.index.registry_names("sample_analyzer")
        for i, item in enumerate(items):
            path: KeyPath = ("analyzers", i)
            if isinstance(item, str):
                item = {"type": item}
            if not isinstance(item, dict):
                continue  # oumi skips it
            if "type" not in item and "id" in item:
                self.finding(
                    "error",
                    "analyzer_legacy_id",
                    path,
                    "Legacy analyzer entry: `id` without `type` (`id` now names the instance).",
                    "Rename `id` to `type` (and `instance_id` to `display_name`).",
                )
                continue
            if cls:
                self.kwargs(item, cls, path, _LEGACY_ANALYZER_KEYS)
            kind = item.get("type")
            if not kind:
                self.finding(
                    "error", "missing_value", path, "The analyzer has no `type`.", "Set `type`."
                )
                continue
            if known and str(kind).lower() not in {k.lower() for k in known}:
                near = difflib.get_close_matches(str(kind), known, n=1, cutoff=0.6)
                self.finding(
                    "warning",
                    "analyzer_unknown",
                    (*path, "type"),
                    f"`{short(kind)}` is not an analyzer of oumi {self.index.version}"
                    + (f"; did you mean `{near[0]}`?" if near else "."),
                    f"Use one of: {', '.join(known)}.",
                )
            ident = str(
                item.get("id") or item.get("display_name") or item.get("instance_id") or kind
            )
            if ident in ids:
                self.finding(
                    "error",
                    "analyzer_duplicate_id",
                    path,
                    f"Two analyzers have the id `{short(ident)}` (id defaults to display_name, "
                    "then type).",
                    "Give each analyzer a distinct `id` or `display_name`.",
                )
            ids[ident] = path

    def custom_metrics(self, items: list[Any]) -> None:
        cls = self.item_class("CustomMetricConfig")
        schema_cls = self.item_class("OutputFieldSchema")
        for i, item in enumerate(items):
            path: KeyPath = ("custom_metrics", i)
            if cls:
                self.kwargs(item, cls, path, frozenset())
            if not isinstance(item, dict):
                continue
            outputs = item.get("output_schema")
            for j, out in enumerate(outputs if isinstance(outputs, list) else []):
                if isinstance(out, dict) and schema_cls:
                    self.kwargs(out, schema_cls, (*path, "output_schema", j), frozenset())
            if isinstance(item.get("function"), str) and item["function"].strip():
                self.finding(
                    "error",
                    "custom_code_refused",
                    (*path, "function"),
                    "`oumi analyze` refuses custom metrics with code (`function`) unless the "
                    "caller allows custom code; the CLI does not.",
                    "Remove `function`, or run the analysis from Python with "
                    "TypedAnalyzeConfig.from_yaml(path, allow_custom_code=True).",
                )

    def run(self) -> StructureResult:
        data = self.loaded.data
        v1 = sorted(set(self.index.doc.get("analyze_v1_fields", [])) & {str(k) for k in data})
        if v1:
            self.finding(
                "error",
                "analyze_config_v1",
                (v1[0],),
                f"This is the old analyze format (v1: {', '.join(v1)}); `oumi analyze` "
                f"{self.index.version} refuses it.",
                "Use the v2 format: analyzers with `type` and `display_name`, no dataset_source/"
                "processor_name/is_multimodal (see guidance://analyze).",
            )
            return self.out
        fields = self.index.fields(self.root)
        for key in data:
            if str(key) not in fields:
                near = difflib.get_close_matches(str(key)[:64], list(fields), n=1, cutoff=0.6)
                self.finding(
                    "warning",
                    "ignored_key",
                    (str(key),),
                    f"`oumi analyze` ignores the top-level key `{short(key)}`."
                    + (f" Did you mean `{near[0]}`?" if near else ""),
                    f"Rename it to `{near[0]}`." if near else "Remove it.",
                )
        parts = (
            ("analyzers", self.analyzers),
            ("custom_metrics", self.custom_metrics),
            ("tests", self.tests),
        )
        for key, check in parts:
            items = data.get(key)
            if isinstance(items, list):
                check(items)
        return self.out

    def tests(self, items: list[Any]) -> None:
        cls = self.item_class("TestParams")
        for i, item in enumerate(items):
            if cls:
                self.kwargs(item, cls, ("tests", i), frozenset())


def check_analyze(index: SchemaIndex, loaded: LoadedConfig, root: str) -> StructureResult:
    return _Rules(index, loaded, root).run()
