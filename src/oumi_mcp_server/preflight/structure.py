"""Keys, types and required values checked against the oumi index, without importing oumi.

The rules are OmegaConf's, as oumi's `from_yaml_and_arg_list` applies them to a YAML mapping:
structured nodes refuse unknown keys; an int accepts an int or a string int() takes, a float also
a float or a string float() takes (never a bool), a bool also an int or yes/no/on/off/true/false,
a string anything but a mapping, a list or bytes; an enum a member's name (optionally prefixed
`Class.`) or an int member value; None only where the type is Optional; a Union of several types
only a value whose exact type is one of them; list items are never None unless Optional; keys of
a `dict[str, ...]` are strings. Whatever the index cannot type (a class outside oumi) passes: this
check never refuses what oumi accepts. `analyze` configs are read with keyword arguments instead
(oumi.analyze.config): unknown keys there are refused, values are not typed, unknown top-level
keys are ignored.
"""

from __future__ import annotations

import datetime
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

from oumi_mcp_server.core.echo import short
from oumi_mcp_server.oumi_index.schema import SchemaIndex
from oumi_mcp_server.preflight.loading import KeyPath, LoadedConfig, shown_key
from oumi_mcp_server.preflight.models import Finding

MAX_UNKNOWN_KEYS = 50  # then one summary finding: a config this far off is not worth more
MAX_TYPE_ERRORS = 20
_BOOL_WORDS = frozenset({"yes", "y", "on", "true", "no", "n", "off", "false"})
# OmegaConf's YAML loader reads these as floats (YAML 1.1 wants a dot: "1e-5" stays a string).
_OMEGA_FLOAT = re.compile(
    r"^(?:[-+]?[0-9]+(?:_[0-9]+)*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?[0-9]+(?:_[0-9]+)*"
    r"(?:[eE][-+]?[0-9]+)|\.[0-9]+(?:_[0-9]+)*(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)"
    r"|\.(?:nan|NaN|NAN))$"
)
_TYPE_WORDS = {
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "str": "a string",
    "path": "a path",
    "bytes": "bytes",
    "none": "null",
}


@dataclass
class StructureResult:
    findings: list[Finding] = field(default_factory=list)
    dropped: list[KeyPath] = field(default_factory=list)  # unknown or ill-typed keys
    missing: list[KeyPath] = field(default_factory=list)  # required and not set
    unknown: int = 0


class _Walker:
    def __init__(self, index: SchemaIndex, loaded: LoadedConfig) -> None:
        self.index = index
        self.loaded = loaded
        self.out = StructureResult()
        self.type_errors = 0

    def add(self, code: str, path: KeyPath, message: str, fix: str) -> None:
        self.out.findings.append(
            Finding(
                severity="error",
                code=code,
                message=message,
                fix=fix,
                location=self.loaded.location(path),
            )
        )

    def unknown(self, key: str, path: KeyPath, owner: str, names: list[str]) -> None:
        self.out.unknown += 1
        self.out.dropped.append(path)
        if self.out.unknown > MAX_UNKNOWN_KEYS:
            return
        near = difflib.get_close_matches(key[:64], names, n=1, cutoff=0.6)
        where = shown_key(path[:-1]) or "the top level"
        self.add(
            "unknown_key",
            path,
            f"Unknown key `{short(key)}` in {where} ({owner})."
            + (f" Did you mean `{near[0]}`?" if near else ""),
            f"Rename it to `{near[0]}`."
            if near
            else f"Remove it; valid keys: {', '.join(sorted(names))[:150]}.",
        )

    def bad(self, path: KeyPath, value: Any, expected: str, fix: str = "") -> None:
        self.out.dropped.append(path)
        self.type_errors += 1
        if self.type_errors > MAX_TYPE_ERRORS:
            return
        shown = short(repr(value) if not isinstance(value, str) else f"'{value}'", 60)
        self.add(
            "invalid_value",
            path,
            f"`{shown_key(path)}`: {shown} is not {expected}.",
            fix or f"Use {expected}.",
        )

    def missing(self, path: KeyPath, owner: str) -> None:
        self.out.missing.append(path)
        self.add(
            "missing_value",
            path,
            f"`{shown_key(path)}` is required ({owner}) and not set.",
            f"Add `{path[-1]}` under `{shown_key(path[:-1]) or 'the top level'}`.",
        )

    # -- OmegaConf rules ---------------------------------------------------------------
    def check(self, value: Any, t: Any, path: KeyPath) -> None:
        optional, t = _optional(t)
        if isinstance(value, datetime.date):
            value = str(value)  # OmegaConf's loader keeps dates as strings
        if value is None:
            if not optional and t not in ("any", "none") and not _untyped(t):
                self.bad(path, value, "allowed here (the field is not Optional)", "Set a value.")
            return
        if _untyped(t) or t == "any":
            return
        if isinstance(t, str):
            self.scalar(value, t, path)
        elif t[0] == "union":
            self.union(value, t[1], path)
        elif t[0] == "list":
            if not isinstance(value, list):
                self.bad(path, value, "a list")
                return
            for i, item in enumerate(value):
                self.check(item, t[1], (*path, i))
        elif t[0] == "dict":
            if not isinstance(value, dict):
                self.bad(path, value, "a mapping")
                return
            for k, v in value.items():
                if t[1] == "str" and not isinstance(k, str):
                    self.bad((*path, str(k)), k, "a string key")
                    continue
                self.check(v, t[2], (*path, str(k)))
        elif t[0] == "ref":
            self.ref(value, t[1], path)

    def scalar(self, value: Any, t: str, path: KeyPath) -> None:
        ok = True
        if t == "str":
            ok = not isinstance(value, (dict, list, bytes))
        elif t == "int":
            ok = type(value) is int or (type(value) is str and _parses(int, value))
        elif t == "float":
            ok = type(value) in (int, float) or (type(value) is str and _parses(float, value))
        elif t == "bool":
            ok = isinstance(value, (bool, int)) or (
                isinstance(value, str) and (_parses(int, value) or value.lower() in _BOOL_WORDS)
            )
        elif t == "path":
            ok = isinstance(value, str)
        elif t == "bytes":
            ok = isinstance(value, bytes)
        elif t == "none":
            ok = value is None
        if not ok:
            self.bad(path, value, _TYPE_WORDS.get(t, t))

    def union(self, value: Any, members: list[Any], path: KeyPath) -> None:
        """A Union of several types: OmegaConf matches the exact type, converting nothing."""
        if isinstance(value, str) and _OMEGA_FLOAT.match(value):
            value = float(value.replace("_", "")) if "inf" not in value.lower() else float("inf")
        kinds = {"str": str, "int": int, "float": float, "bool": bool, "bytes": bytes}
        for m in members:
            if m == "any" or _untyped(m) or (isinstance(m, str) and type(value) is kinds.get(m)):
                return
            if isinstance(m, list) and m[0] == "ref" and not self.index.cls(m[1]):
                return
        words = " or ".join(_TYPE_WORDS.get(m, str(m)) for m in members if isinstance(m, str))
        self.bad(path, value, words or "of an accepted type")

    def ref(self, value: Any, qualname: str, path: KeyPath) -> None:
        members = self.index.enum_members(qualname)
        if members is not None:
            self.enum(value, qualname, members, path)
        elif self.index.is_dataclass(qualname):
            if not isinstance(value, dict):
                self.bad(path, value, f"a mapping of {qualname.rsplit('.', 1)[-1]} keys")
                return
            self.structured(value, qualname, path)

    def enum(self, value: Any, qualname: str, members: list[dict[str, Any]], path: KeyPath) -> None:
        name = qualname.rsplit(".", 1)[-1]
        names = [m["name"] for m in members]
        if isinstance(value, str):
            key = value[len(name) + 1 :] if value.startswith(f"{name}.") else value
            if key in names:
                return
        elif type(value) is int and any(m["value"] == value for m in members):
            return
        text = str(value)
        near = [n for n in names if n.lower() == text.lower()] or difflib.get_close_matches(
            text.upper(), names, n=1, cutoff=0.6
        )
        listed = ", ".join(names[:12]) + (", ..." if len(names) > 12 else "")
        self.bad(
            path,
            value,
            f"one of {name}: {listed}" + (f" (did you mean `{near[0]}`?)" if near else ""),
            f"Use `{near[0]}`." if near else f"Use one of: {listed}.",
        )

    def structured(self, value: dict[Any, Any], qualname: str, path: KeyPath) -> None:
        fields = self.index.fields(qualname)
        owner = qualname.rsplit(".", 1)[-1]
        for key, sub in value.items():
            name = str(key)
            if not isinstance(key, str) or name not in fields:
                self.unknown(name, (*path, name), owner, list(fields))
                continue
            if sub == "???":  # OmegaConf's MISSING: the default stays, a required key is unset
                if fields[name]["required"]:
                    self.missing((*path, name), owner)
                continue
            self.check(sub, fields[name]["t"], (*path, name))
        self.required(value, qualname, path)

    def required(self, value: dict[Any, Any], qualname: str, path: KeyPath) -> None:
        """Required keys unset here, and in nested dataclasses built by their default."""
        owner = qualname.rsplit(".", 1)[-1]
        for name, f in self.index.fields(qualname).items():
            if name in value:
                continue
            if f["required"]:
                self.missing((*path, name), owner)
                continue
            t = f["t"]
            factory = (f.get("factory") or "").rsplit(".", 1)[-1]
            built = isinstance(t, list) and t[0] == "ref" and self.index.is_dataclass(t[1])
            if built and factory == t[1].rsplit(".", 1)[-1]:
                self.required({}, t[1], (*path, name))


def _optional(t: Any) -> tuple[bool, Any]:
    if isinstance(t, list) and t[0] == "union" and "none" in t[1]:
        rest = [m for m in t[1] if m != "none"]
        return True, rest[0] if len(rest) == 1 else ["union", rest]
    return t == "any", t


def _untyped(t: Any) -> bool:
    return isinstance(t, list) and t[0] in ("ext", "lit")


def _parses(kind: type, text: str) -> bool:
    try:
        kind(text)
    except ValueError:
        return False
    return True


def check_omegaconf(index: SchemaIndex, loaded: LoadedConfig, qualname: str) -> StructureResult:
    walker = _Walker(index, loaded)
    walker.structured(loaded.data, qualname, ())
    return walker.out
