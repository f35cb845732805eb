"""One oumi module read with `ast`: its imports, classes (dataclass fields with their types,
defaults and docstrings; enum members), public functions and constants. Nothing is imported."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUMMARY_CHARS = 400
MAX_METHODS = 12
_DATACLASS = ("dataclass", "dataclasses.dataclass")


def first_paragraph(doc: str | None, limit: int = SUMMARY_CHARS) -> str:
    """A docstring's first paragraph on one line, cut at `limit`."""
    if not doc:
        return ""
    para = doc.strip().split("\n\n")[0]
    text = " ".join(line.strip() for line in para.splitlines() if line.strip())
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


@dataclass
class FieldInfo:
    name: str
    annotation: str
    default: str | None  # source of the default; None: required (no default, or MISSING)
    doc: str
    factory: str | None = None  # `default_factory=X`: X's source
    init: bool = True
    type: Any = None  # resolved later (typeexpr)


@dataclass
class MemberInfo:
    name: str
    value: Any  # a JSON literal, or the member's name when the value is not a literal
    doc: str


@dataclass
class FunctionInfo:
    name: str
    signature: str
    doc: str
    line: int


@dataclass
class ClassInfo:
    name: str
    module: str
    line: int
    doc: str
    bases: list[str]  # as written
    is_dataclass: bool
    fields: list[FieldInfo] = field(default_factory=list)
    members: list[MemberInfo] = field(default_factory=list)
    methods: list[FunctionInfo] = field(default_factory=list)
    init_signature: str = ""

    @property
    def qualname(self) -> str:
        return f"{self.module}.{self.name}"


@dataclass
class ModuleInfo:
    name: str
    path: Path
    doc: str
    imports: dict[str, str]  # local name -> dotted target
    classes: dict[str, ClassInfo]
    functions: list[FunctionInfo]
    function_nodes: dict[str, ast.FunctionDef | ast.AsyncFunctionDef]  # oumi.cli only
    constants: dict[str, ast.expr]
    decorated: list[tuple[str, list[ast.expr], str]]  # (name, decorators, docstring)


def _imports(tree: ast.Module, module: str, is_package: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    package = module.split(".") if is_package else module.split(".")[:-1]
    for node in tree.body:
        if isinstance(node, ast.Import):
            for a in node.names:
                out[a.asname or a.name.split(".")[0]] = a.name if a.asname else a.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package[: len(package) - node.level + 1]
                base = ".".join([*parts, *([node.module] if node.module else [])])
            for a in node.names:
                if a.name != "*":
                    out[a.asname or a.name] = f"{base}.{a.name}"
        elif isinstance(node, ast.If):  # TYPE_CHECKING blocks hold annotation-only imports
            sub = ast.Module(body=node.body, type_ignores=[])
            for k, v in _imports(sub, module, is_package).items():
                out.setdefault(k, v)
    return out


def _is_dataclass(node: ast.ClassDef) -> bool:
    for dec in node.decorator_list:
        target = dec.func if isinstance(dec, ast.Call) else dec
        if ast.unparse(target) in _DATACLASS:
            return True
    return False


def _docstring_after(body: list[ast.stmt], i: int) -> str:
    if i + 1 < len(body):
        nxt = body[i + 1]
        if (
            isinstance(nxt, ast.Expr)
            and isinstance(nxt.value, ast.Constant)
            and isinstance(nxt.value.value, str)
        ):
            return first_paragraph(nxt.value.value)
    return ""


def _field_default(value: ast.expr | None) -> tuple[str | None, str | None, bool]:
    """(default source, factory source, init) of a field's right-hand side."""
    if value is None:
        return None, None, True
    if isinstance(value, ast.Call) and ast.unparse(value.func) in ("field", "dataclasses.field"):
        kw = {k.arg: k.value for k in value.keywords if k.arg}
        flag = kw.get("init")
        init = not (isinstance(flag, ast.Constant) and flag.value is False)
        if "default_factory" in kw:
            factory = ast.unparse(kw["default_factory"])
            return f"{factory}()", factory, init
        if "default" in kw:
            return _plain_default(kw["default"]), None, init
        return None, None, init
    return _plain_default(value), None, True


def _plain_default(value: ast.expr) -> str | None:
    text = ast.unparse(value)
    return None if text in ("MISSING", "omegaconf.MISSING", "'???'") else text


def signature(node: ast.FunctionDef | ast.AsyncFunctionDef, *, drop_self: bool = False) -> str:
    args = node.args
    if drop_self and (args.posonlyargs or args.args):
        args = ast.arguments(
            posonlyargs=args.posonlyargs[1:] if args.posonlyargs else [],
            args=args.args if args.posonlyargs else args.args[1:],
            vararg=args.vararg,
            kwonlyargs=args.kwonlyargs,
            kw_defaults=args.kw_defaults,
            kwarg=args.kwarg,
            defaults=args.defaults,
        )
    text = f"({ast.unparse(args)})"
    if node.returns is not None:
        text += f" -> {ast.unparse(node.returns)}"
    return text if len(text) <= 600 else text[:597] + "..."


def _literal(value: ast.expr, name: str) -> Any:
    try:
        v = ast.literal_eval(value)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return name
    return v if isinstance(v, (str, int, float, bool)) else name


def _class(node: ast.ClassDef, module: str) -> ClassInfo:
    info = ClassInfo(
        name=node.name,
        module=module,
        line=node.lineno,
        doc=first_paragraph(ast.get_docstring(node)),
        bases=[ast.unparse(b) for b in node.bases],
        is_dataclass=_is_dataclass(node),
    )
    auto = 0
    for i, stmt in enumerate(node.body):
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name):
            ann = ast.unparse(stmt.annotation)
            if ann.startswith(("ClassVar", "typing.ClassVar", "InitVar")):
                continue
            default, factory, init = _field_default(stmt.value)
            info.fields.append(
                FieldInfo(
                    name=stmt.target.id,
                    annotation=ann,
                    default=default,
                    doc=_docstring_after(node.body, i),
                    factory=factory,
                    init=init,
                )
            )
        elif (
            isinstance(stmt, ast.Assign)
            and len(stmt.targets) == 1
            and isinstance(stmt.targets[0], ast.Name)
            and not stmt.targets[0].id.startswith("_")
        ):
            name = stmt.targets[0].id
            if isinstance(stmt.value, ast.Call) and ast.unparse(stmt.value.func).endswith("auto"):
                auto += 1
                value: Any = auto
            else:
                value = _literal(stmt.value, name)
            info.members.append(MemberInfo(name, value, _docstring_after(node.body, i)))
        elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if stmt.name == "__init__":
                info.init_signature = signature(stmt, drop_self=True)
            elif not stmt.name.startswith("_") and len(info.methods) < MAX_METHODS:
                info.methods.append(
                    FunctionInfo(
                        stmt.name,
                        signature(stmt, drop_self=True),
                        first_paragraph(ast.get_docstring(stmt)),
                        stmt.lineno,
                    )
                )
    return info


def _decorated(node: ast.stmt) -> tuple[str, list[ast.expr], str] | None:
    """(name, decorators, docstring) of a decorated class or function."""
    defs = (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)
    if isinstance(node, defs) and node.decorator_list:
        return node.name, node.decorator_list, ast.get_docstring(node) or ""
    return None


def parse_module(path: Path, module: str) -> ModuleInfo | None:
    """The module's contents, or None when it cannot be read or parsed."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None
    is_package = path.name == "__init__.py"
    classes: dict[str, ClassInfo] = {}
    functions: list[FunctionInfo] = []
    nodes: dict[str, ast.FunctionDef | ast.AsyncFunctionDef] = {}
    constants: dict[str, ast.expr] = {}
    decorated: list[tuple[str, list[ast.expr], str]] = []
    keep_functions = module.startswith("oumi.cli.")
    for node in tree.body:
        found = _decorated(node)
        if found:
            decorated.append(found)
        if isinstance(node, ast.ClassDef):
            classes[node.name] = _class(node, module)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            if keep_functions:
                nodes[node.name] = node
            if not node.name.startswith("_"):
                functions.append(
                    FunctionInfo(
                        node.name,
                        signature(node),
                        first_paragraph(ast.get_docstring(node)),
                        node.lineno,
                    )
                )
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    constants[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            constants[node.target.id] = node.value
    return ModuleInfo(
        name=module,
        path=path,
        doc=first_paragraph(ast.get_docstring(tree)),
        imports=_imports(tree, module, is_package),
        classes=classes,
        functions=functions,
        function_nodes=nodes,
        constants=constants,
        decorated=decorated,
    )
