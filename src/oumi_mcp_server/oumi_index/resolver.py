"""Names in oumi's source resolved across modules (imports, re-exports), parsed on demand.

Type annotations become small JSON type expressions the validator reads:
"any" "str" "int" "float" "bool" "bytes" "path" "none", ["union", [...]], ["list", T],
["dict", K, V], ["ref", qualname] (a class of oumi's), ["ext", dotted] (anything else: treated
as any), ["lit", [values]].
"""

from __future__ import annotations

import ast
from typing import Any

from oumi_mcp_server.oumi_index.astparse import ClassInfo, FieldInfo, ModuleInfo, parse_module
from oumi_mcp_server.oumi_index.source import OumiSource

TypeExpr = Any
_MAX_DEPTH = 8
_PRIMS = {
    "int": "int",
    "str": "str",
    "float": "float",
    "bool": "bool",
    "bytes": "bytes",
    "None": "none",
    "NoneType": "none",
    "typing.Any": "any",
    "object": "any",
    "pathlib.Path": "path",
    "Path": "path",
}
_LISTS = {"list", "typing.List", "typing.Sequence", "collections.abc.Sequence", "tuple"}
_LISTS |= {"typing.Tuple", "typing.MutableSequence", "set", "typing.Set"}
_DICTS = {"dict", "typing.Dict", "typing.Mapping", "collections.abc.Mapping"}
_DICTS |= {"typing.MutableMapping"}
_ENUMS = {"enum.Enum", "enum.IntEnum", "enum.StrEnum", "enum.Flag", "enum.IntFlag"}


class Resolver:
    """Modules of one oumi installation, parsed once each, and name resolution over them."""

    def __init__(self, source: OumiSource) -> None:
        self.source = source
        self.modules: dict[str, ModuleInfo | None] = {}
        self._enum: dict[str, bool] = {}

    def module(self, name: str) -> ModuleInfo | None:
        if name not in self.modules:
            path = self.source.module_path(name) if name.split(".")[0] == "oumi" else None
            self.modules[name] = parse_module(path, name) if path else None
        return self.modules[name]

    def add(self, info: ModuleInfo) -> None:
        self.modules[info.name] = info

    def resolve(self, dotted: str, depth: int = 0) -> str:
        """The canonical name: where an oumi class is defined, through re-exports."""
        dotted = dotted.replace("typing_extensions.", "typing.")
        parts = dotted.split(".")
        if parts[0] != "oumi" or depth > _MAX_DEPTH:
            return dotted
        for i in range(len(parts) - 1, 0, -1):
            mod = self.module(".".join(parts[:i]))
            if mod is None:
                continue
            rest = parts[i:]
            head = rest[0]
            if head in mod.classes:
                return ".".join([mod.name, *rest])
            if head in mod.imports:
                return self.resolve(".".join([mod.imports[head], *rest[1:]]), depth + 1)
            return dotted
        return dotted

    def qualify(self, mod: ModuleInfo, node: ast.expr) -> str:
        """The dotted name an annotation's Name/Attribute stands for in `mod`."""
        text = ast.unparse(node)
        head, _, rest = text.partition(".")
        if head in mod.classes:
            return f"{mod.name}.{text}"
        if head in mod.imports:
            return self.resolve(mod.imports[head] + (f".{rest}" if rest else ""))
        return text

    def class_info(self, qualname: str) -> ClassInfo | None:
        module, _, name = qualname.rpartition(".")
        mod = self.module(module) if module else None
        return mod.classes.get(name) if mod else None

    def bases(self, cls: ClassInfo) -> list[str]:
        mod = self.module(cls.module)
        if mod is None:
            return []
        return [self.qualify(mod, ast.parse(b, mode="eval").body) for b in cls.bases]

    def is_enum(self, qualname: str, depth: int = 0) -> bool:
        if qualname in self._enum:
            return self._enum[qualname]
        cls = self.class_info(qualname)
        found = False
        if cls is not None and depth < _MAX_DEPTH:
            found = any(b in _ENUMS or self.is_enum(b, depth + 1) for b in self.bases(cls))
        self._enum[qualname] = found
        return found

    def dataclass_fields(self, qualname: str, depth: int = 0) -> list[FieldInfo]:
        """Fields in dataclass order: bases first, a redefinition keeps its base's place."""
        cls = self.class_info(qualname)
        if cls is None or depth > _MAX_DEPTH:
            return []
        merged: dict[str, FieldInfo] = {}
        for base in reversed(self.bases(cls)):
            for f in self.dataclass_fields(base, depth + 1):
                merged[f.name] = f
        if cls.is_dataclass:
            mod = self.module(cls.module)
            for f in cls.fields:
                if f.type is None and mod is not None:
                    f.type = self.type_expr(mod, ast.parse(f.annotation, mode="eval").body)
                merged[f.name] = f
        return list(merged.values())

    def is_dataclass(self, qualname: str, depth: int = 0) -> bool:
        cls = self.class_info(qualname)
        if cls is None or depth > _MAX_DEPTH:
            return False
        return cls.is_dataclass or any(self.is_dataclass(b, depth + 1) for b in self.bases(cls))

    def type_expr(self, mod: ModuleInfo, node: ast.expr, depth: int = 0) -> TypeExpr:
        if depth > _MAX_DEPTH:
            return "any"
        if isinstance(node, ast.Constant):
            if node.value is None:
                return "none"
            if isinstance(node.value, str):  # a forward reference
                try:
                    inner = ast.parse(node.value, mode="eval").body
                except SyntaxError:
                    return "any"
                return self.type_expr(mod, inner, depth + 1)
            return "any"
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
            return _union(
                [self.type_expr(mod, node.left, depth + 1), self.type_expr(mod, node.right, depth)]
            )
        if isinstance(node, (ast.Name, ast.Attribute)):
            return self._named(self.qualify(mod, node))
        if isinstance(node, ast.Subscript):
            head = self.qualify(mod, node.value)
            args = list(node.slice.elts) if isinstance(node.slice, ast.Tuple) else [node.slice]
            sub = [self.type_expr(mod, a, depth + 1) for a in args]
            if head == "typing.Optional":
                return _union([sub[0], "none"])
            if head == "typing.Union":
                return _union(sub)
            if head == "typing.Annotated":
                return sub[0]
            if head in _LISTS:
                return ["list", sub[0] if head not in ("tuple", "typing.Tuple") else "any"]
            if head in _DICTS:
                return ["dict", sub[0], sub[1] if len(sub) > 1 else "any"]
            if head == "typing.Literal":
                values = [a.value for a in args if isinstance(a, ast.Constant)]
                return ["lit", values]
            return ["ext", head]
        return "any"

    def _named(self, q: str) -> TypeExpr:
        if q in _PRIMS:
            return _PRIMS[q]
        if q in _LISTS:
            return ["list", "any"]
        if q in _DICTS:
            return ["dict", "any", "any"]
        if q.startswith("oumi.") and self.class_info(q) is not None:
            return ["ref", q]
        return ["ext", q]


def _union(parts: list[TypeExpr]) -> TypeExpr:
    flat: list[TypeExpr] = []
    for p in parts:
        for q in p[1] if isinstance(p, list) and p[0] == "union" else [p]:
            if q not in flat:
                flat.append(q)
    return flat[0] if len(flat) == 1 else ["union", flat]
