"""The layering in docs/CONTRIBUTING.md, read from the import statements of every module."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "src" / "oumi_mcp_server"
CAPABILITIES = (
    "recipes",
    "preflight",
    "jobs",
    "clusters",
    "guidance",
    "data",
    "oumi_index",
    "evaluation",
    "experiments",
)
OUTER = ("server", "cli", "dashboard")
HEAVY = ("torch", "transformers", "oumi", "sky", "datasets")
BACKEND_MODULES = (
    "oumi_mcp_server.jobs.local_backend",
    "oumi_mcp_server.jobs.local_status",
    "oumi_mcp_server.jobs.supervisor",
    "oumi_mcp_server.jobs.queue",
    "oumi_mcp_server.jobs.queue_keeper",
    "oumi_mcp_server.jobs.cancel",
    "oumi_mcp_server.jobs.cancel_request",
    "oumi_mcp_server.jobs.procinfo",
    "oumi_mcp_server.clusters.backend",
    "oumi_mcp_server.clusters.follow",
    "oumi_mcp_server.clusters.logsnap",
    "oumi_mcp_server.clusters.submit",
    "oumi_mcp_server.clusters.fetch",
    "oumi_mcp_server.clusters.launch_helper",
    "oumi_mcp_server.clusters.launcher_api",
    "oumi_mcp_server.clusters.logstream",
    "oumi_mcp_server.clusters.slurm",
    "oumi_mcp_server.clusters.runstate",
)
"""What a backend is made of: the MCP tools reach them only through the jobs service."""


@dataclass(frozen=True)
class Import:
    module: str  # absolute dotted name
    line: int
    top_level: bool  # executed when the module is imported (not inside a def, not TYPE_CHECKING)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_of(source: str, dotted_name: str, is_package: bool = False) -> list[Import]:
    """Every import in `source`, made absolute, flagged top-level or deferred."""
    found: list[Import] = []
    package_parts = dotted_name.split(".") if is_package else dotted_name.split(".")[:-1]

    def visit(node: ast.AST, top_level: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
                visit(child, False)
            elif isinstance(child, ast.If) and _is_type_checking(child.test):
                for stmt in child.body:
                    visit(ast.Module(body=[stmt], type_ignores=[]), False)
                for stmt in child.orelse:
                    visit(ast.Module(body=[stmt], type_ignores=[]), top_level)
            elif isinstance(child, ast.Import):
                found.extend(Import(a.name, child.lineno, top_level) for a in child.names)
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package_parts[: len(package_parts) - child.level + 1]
                    module = ".".join([*base, *([child.module] if child.module else [])])
                else:
                    module = child.module or ""
                found.extend(
                    Import(
                        module if a.name == "*" else f"{module}.{a.name}", child.lineno, top_level
                    )
                    for a in child.names
                )
            else:
                visit(child, top_level)

    visit(ast.parse(source), True)
    return found


def all_modules() -> dict[str, tuple[Path, list[Import]]]:
    modules = {}
    for path in sorted(PACKAGE_ROOT.rglob("*.py")):
        rel = path.relative_to(PACKAGE_ROOT.parent).with_suffix("")
        is_package = rel.name == "__init__"
        parts = rel.parts[:-1] if is_package else rel.parts
        name = ".".join(parts)
        modules[name] = (path, imports_of(path.read_text(encoding="utf-8"), name, is_package))
    return modules


def layer_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "oumi_mcp_server" else None


def violations(modules: dict[str, tuple[Path, list[Import]]]) -> list[str]:
    problems = []
    for name, (path, imports) in modules.items():
        layer = layer_of(name)
        for imp in imports:
            target = layer_of(imp.module)
            where = f"{path.relative_to(PACKAGE_ROOT.parent)}:{imp.line} imports {imp.module}"
            if layer in CAPABILITIES and target in (*OUTER, "wiring"):
                problems.append(f"{where}: a capability package never imports {target}")
            if layer == "core" and (target in CAPABILITIES or target in (*OUTER, "wiring")):
                problems.append(f"{where}: core imports no capability or outer layer")
            if layer == "jobs" and target == "clusters":
                problems.append(f"{where}: jobs knows backends only through its Backend protocol")
            if layer in ("jobs", "clusters", "evaluation") and target == "experiments":
                problems.append(f"{where}: experiments builds on jobs, never the other way round")
            tool = name.startswith("oumi_mcp_server.server.tools_")
            if tool and imp.module.startswith(BACKEND_MODULES):
                problems.append(f"{where}: tools reach backends only through the jobs service")
            if layer == "server" and target in ("cli", "dashboard"):
                problems.append(f"{where}: server imports no {target}")
            # The dashboard may share server's HTTP plumbing (http_guard), not its MCP surface.
            surface = imp.module.startswith(
                ("oumi_mcp_server.server.app", "oumi_mcp_server.server.tools_")
            )
            if layer == "dashboard" and (target == "cli" or surface):
                problems.append(f"{where}: dashboard sits on the services, beside server")
            heavy_layer = layer in ("server", "core", *CAPABILITIES)
            if heavy_layer and imp.top_level and imp.module.split(".")[0] in HEAVY:
                problems.append(f"{where} at module level: import it inside the function")
    return problems


def test_layering_and_light_module_level_imports() -> None:
    modules = all_modules()
    assert "oumi_mcp_server.server.app" in modules
    problems = violations(modules)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        ("oumi_mcp_server.jobs.store", "from oumi_mcp_server.server import app\n", "capability"),
        ("oumi_mcp_server.jobs.store", "from ..cli import main\n", "capability"),
        ("oumi_mcp_server.core.paths", "import oumi_mcp_server.recipes.index\n", "core imports"),
        (
            "oumi_mcp_server.server.app",
            "from oumi_mcp_server.cli.main import cli\n",
            "server imports",
        ),
        (
            "oumi_mcp_server.dashboard.app",
            "from ..server.tools_jobs import register\n",
            "beside server",
        ),
        ("oumi_mcp_server.recipes.index", "import torch\n", "module level"),
        (
            "oumi_mcp_server.jobs.service",
            "from oumi_mcp_server.clusters import follow\n",
            "Backend",
        ),
        ("oumi_mcp_server.core.paths", "from oumi_mcp_server.wiring import job_service\n", "core"),
        ("oumi_mcp_server.jobs.store", "from oumi_mcp_server import wiring\n", "capability"),
        ("oumi_mcp_server.server.tools_jobs", "from ..jobs import supervisor\n", "jobs service"),
        (
            "oumi_mcp_server.server.tools_x",
            "from oumi_mcp_server.clusters.follow import x\n",
            "jobs service",
        ),
        (
            "oumi_mcp_server.server.tools_x",
            "try:\n    from oumi.core import configs\nexcept ImportError:\n    pass\n",
            "module level",
        ),
    ],
)
def test_the_checker_catches_each_kind_of_violation(
    module: str, source: str, expected: str
) -> None:
    fake = {module: (PACKAGE_ROOT / "x.py", imports_of(source, module))}
    problems = violations(fake)
    assert len(problems) == 1 and expected in problems[0], problems


def test_deferred_imports_are_allowed() -> None:
    source = (
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import torch\n"
        "def load():\n    import oumi.core.configs\n"
    )
    imports = imports_of(source, "oumi_mcp_server.jobs.launch")
    assert {i.module for i in imports if not i.top_level} == {"torch", "oumi.core.configs"}
    assert not violations({"oumi_mcp_server.jobs.launch": (PACKAGE_ROOT / "x.py", imports)})


def test_nothing_is_wired_by_an_import_side_effect() -> None:
    """Backends are passed to the jobs service by `wiring`; no import exists only to register."""
    hits = [
        f"{path.relative_to(PACKAGE_ROOT.parent)}:{n}"
        for path in sorted(PACKAGE_ROOT.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if "noqa: F401" in line
    ]
    assert hits == []
