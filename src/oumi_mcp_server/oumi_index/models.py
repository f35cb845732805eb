"""Answers of get_docs and list_modules (bounded: the assistant reads every byte)."""

from __future__ import annotations

from pydantic import Field

from oumi_mcp_server.preflight.models import Compact, OptStr


class DocHit(Compact):
    kind: str
    name: str
    qualname: str
    signature: OptStr = None  # a function's parameters, a field's `type = default`
    summary: str = ""  # the docstring's first paragraph
    yaml_keys: list[str] = Field(default_factory=list)  # `kind: key.path` that sets a field
    fields: list[str] = Field(default_factory=list)  # top hit's fields, enum members, options
    more_fields: int = 0  # not listed, for size


class DocsAnswer(Compact):
    query: str
    oumi_version: str
    total_matches: int
    results: list[DocHit]
    truncated: bool = False
    did_you_mean: list[str] = Field(default_factory=list)
    hint: str = ""


class ModuleGroup(Compact):
    package: str
    summary: str = ""
    modules: int
    classes: int
    functions: int
    subpackages: list[str] = Field(default_factory=list)


class ModulesAnswer(Compact):
    oumi_version: str
    packages: list[ModuleGroup]
    config_kinds: dict[str, str]  # kind -> config class
    registries: dict[str, int]  # kind (as get_docs' `kind` filter) -> names registered
    cli_commands: int
    named_configs: int
    total_entries: int
    hint: str
