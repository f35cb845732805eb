"""oumi's CLI commands read from `oumi/cli/main.py`: `app.command(...)(fn)`, sub-apps added with
`add_typer(sub, name=...)`, and each command's options from its `typer.Option(...)` parameters."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from oumi_mcp_server.oumi_index.astparse import ModuleInfo, first_paragraph
from oumi_mcp_server.oumi_index.resolver import Resolver

MAX_OPTIONS = 40


@dataclass
class CliOption:
    flags: list[str]
    help: str
    type: str


@dataclass
class CliCommand:
    command: str  # "train", "launch up", "judge dataset"
    help: str
    target: str  # qualname of the function
    hidden: bool = False
    options: list[CliOption] = field(default_factory=list)


def _text(node: ast.expr | None, local: dict[str, ast.expr], depth: int = 0) -> str:
    """A help text: a literal, get_command_help("...", ...), or a local variable holding one."""
    if node is None or depth > 4:
        return ""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.Call) and node.args:
        return _text(node.args[0], local, depth + 1)
    if isinstance(node, ast.Name) and node.id in local:
        return _text(local[node.id], local, depth + 1)
    return ""


def _kw(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _flags(call: ast.Call, mod: ModuleInfo, resolver: Resolver) -> list[str]:
    nodes: list[ast.expr] = []
    for arg in call.args:
        if isinstance(arg, ast.Starred):  # *cli_utils.CONFIG_FLAGS
            owner, _, name = resolver.qualify(mod, arg.value).rpartition(".")
            src = resolver.module(owner)
            value = src.constants.get(name) if src else None
            nodes += list(value.elts) if isinstance(value, (ast.List, ast.Tuple)) else []
        else:
            nodes.append(arg)
    return [
        n.value
        for n in nodes
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and n.value.startswith("-")
    ]


def _options(
    fn: ast.FunctionDef | ast.AsyncFunctionDef, mod: ModuleInfo, resolver: Resolver
) -> list[CliOption]:
    out: list[CliOption] = []
    args = [*fn.args.args, *fn.args.kwonlyargs]
    defaults = [None] * (len(fn.args.args) - len(fn.args.defaults)) + list(fn.args.defaults)
    defaults += list(fn.args.kw_defaults)
    for arg, default in zip(args, defaults, strict=False):
        ann = arg.annotation
        option: ast.Call | None = None
        type_text = ""
        if isinstance(ann, ast.Subscript) and ast.unparse(ann.value).endswith("Annotated"):
            elts = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else []
            if len(elts) >= 2 and isinstance(elts[1], ast.Call):
                option, type_text = elts[1], ast.unparse(elts[0])
        elif isinstance(default, ast.Call):  # name: bool = typer.Option(False, "--list", ...)
            option, type_text = default, ast.unparse(ann) if ann else ""
        if option is None or not ast.unparse(option.func).endswith(("Option", "Argument")):
            continue
        flags = _flags(option, mod, resolver) or [f"--{arg.arg.replace('_', '-')}"]
        if ast.unparse(option.func).endswith("Argument"):
            flags = [arg.arg.upper()]
        out.append(
            CliOption(flags, first_paragraph(_text(_kw(option, "help"), {}), 160), type_text)
        )
        if len(out) >= MAX_OPTIONS:
            break
    return out


def commands(main: ModuleInfo | None, resolver: Resolver) -> list[CliCommand]:
    fn = main.function_nodes.get("get_app") if main else None
    if main is None or fn is None:
        return []
    local: dict[str, ast.expr] = {}
    groups: dict[str, str] = {}  # typer variable -> command prefix
    calls: list[ast.Call] = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Assign) and isinstance(node.targets[0], ast.Name):
            local[node.targets[0].id] = node.value
        if isinstance(node, ast.Call):
            calls.append(node)
            attr = node.func.attr if isinstance(node.func, ast.Attribute) else ""
            if attr == "add_typer" and node.args and isinstance(node.args[0], ast.Name):
                groups[node.args[0].id] = _text(_kw(node, "name"), local)
    out: list[CliCommand] = []
    for call in calls:
        inner = call.func
        if not (isinstance(inner, ast.Call) and isinstance(inner.func, ast.Attribute)):
            continue
        if inner.func.attr not in ("command", "callback") or not call.args:
            continue
        owner = ast.unparse(inner.func.value)
        prefix = groups.get(owner, "") if owner != "app" else ""
        target = resolver.qualify(main, call.args[0])
        module, _, fname = target.rpartition(".")
        src = resolver.module(module) if module.startswith("oumi") else main
        fn_node = src.function_nodes.get(fname) if src else None
        name = _text(_kw(inner, "name"), local) or fname.replace("_", "-")
        if inner.func.attr == "callback":
            if not prefix:
                continue
            name = ""
        flag = _kw(inner, "hidden")
        hidden = isinstance(flag, ast.Constant) and flag.value is True
        help_text = _text(_kw(inner, "help"), local)
        if not help_text and fn_node is not None:
            help_text = ast.get_docstring(fn_node) or ""
        out.append(
            CliCommand(
                command=" ".join(p for p in (prefix, name) if p),
                help=first_paragraph(help_text, 240),
                target=target,
                hidden=hidden,
                options=_options(fn_node, src, resolver) if fn_node and src else [],
            )
        )
    return out
