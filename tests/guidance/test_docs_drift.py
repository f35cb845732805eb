"""The docs match the product: every command line, tool, argument, state, flag, URI and setting
written in the README, the guides and the tool descriptions exists in the live server (through
the in-memory MCP client) and CLI (click's command tree). Each checker is shown to catch drift."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import click
import jsonschema
import pytest
from docparse import (
    bare_flags,
    call_literals,
    cli_invocations,
    code_snippets,
    resource_uris,
    snake_words,
    state_words,
    tool_arguments,
    tool_like_names,
)
from mcp import Client

from oumi_mcp_server.cli.main import cli
from oumi_mcp_server.clusters.models import ClusterOptions
from oumi_mcp_server.guidance.loader import guide_names, read_guide
from oumi_mcp_server.jobs.states import JobState
from oumi_mcp_server.server.app import INSTRUCTIONS, build_server
from testsupport import subprocess_env

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "oumi_mcp_server"
HELP = {"-h", "--help"}
PLACEHOLDER = re.compile(r"^(<[^>]+>|[A-Z][A-Z_]*|\.\.\.)$")


@dataclass
class Surface:
    """What the live server offers, as a client lists it."""

    tools: dict[str, dict[str, Any]]
    resources: set[str]
    templates: set[str]
    prompts: set[str]
    descriptions: dict[str, str] = field(default_factory=dict)
    """Where -> text, for every description a client reads (tools, arguments, resources, ...)."""

    def arguments(self, tool: str) -> dict[str, Any]:
        return dict(self.tools[tool]["inputSchema"].get("properties", {}))

    def nested(self, tool: str) -> set[str]:
        """Field names inside the tool's object arguments (its input schema's $defs)."""
        defs = self.tools[tool]["inputSchema"].get("$defs", {})
        return {name for d in defs.values() for name in d.get("properties", {})}

    def outputs(self, tool: str) -> set[str]:
        return set(self.tools[tool].get("outputSchema", {}).get("properties", {}))

    def enum(self, tool: str, argument: str) -> list[Any] | None:
        prop = self.arguments(tool)[argument]
        for branch in [prop, *prop.get("anyOf", [])]:
            if "enum" in branch:
                return list(branch["enum"])
        return None


async def _list_surface() -> Surface:
    async with Client(build_server()) as client:
        tools = [
            t.model_dump(by_alias=True, exclude_none=True)
            for t in (await client.list_tools()).tools
        ]
        resources = (await client.list_resources()).resources
        templates = (await client.list_resource_templates()).resource_templates
        prompts = (await client.list_prompts()).prompts
    surface = Surface(
        tools={t["name"]: t for t in tools},
        resources={str(r.uri) for r in resources},
        templates={t.uri_template for t in templates},
        prompts={p.name for p in prompts},
    )
    surface.descriptions["instructions"] = INSTRUCTIONS
    for tool in tools:
        surface.descriptions[f"tool {tool['name']}"] = tool.get("description", "")
        for name, prop in tool["inputSchema"].get("properties", {}).items():
            surface.descriptions[f"tool {tool['name']}.{name}"] = prop.get("description", "")
    for item in [*resources, *templates, *prompts]:
        label = getattr(item, "uri", None) or getattr(item, "uri_template", None) or item.name
        surface.descriptions[f"listing {label}"] = item.description or ""
    return surface


@pytest.fixture(scope="module")
def surface() -> Surface:
    return anyio.run(_list_surface)


@pytest.fixture(scope="module")
def docs() -> dict[str, str]:
    """Every document a person or an assistant reads, by name."""
    found = {"README.md": (REPO / "README.md").read_text(encoding="utf-8")}
    found |= {f"guidance://{name}": read_guide(name) for name in guide_names()}
    return found


# --- the checkers: each returns what does not exist, as readable lines ---------------------


def _command(words: list[str]) -> tuple[click.Command, list[str], list[str]]:
    """The click command the words name, its path, and the words left for it."""
    command: click.Command = cli
    path: list[str] = []
    while words and isinstance(command, click.Group) and words[0] in command.commands:
        path.append(words[0])
        command = command.commands[words[0]]
        words = words[1:]
    return command, path, words


def cli_problems(words: list[str]) -> list[str]:
    """An `oumi-mcp-server ...` line: subcommands, options and choice arguments must exist."""
    command, path, rest = _command(words)
    where = "oumi-mcp-server " + " ".join(words)
    if isinstance(command, click.Group) and rest and not rest[0].startswith("-"):
        return [f"{where}: no command {' '.join([*path, rest[0]])!r}"]
    options = {o: p for p in command.params for o in (*p.opts, *p.secondary_opts)}
    arguments = [p for p in command.params if isinstance(p, click.Argument)]
    problems: list[str] = []
    takes_value = False
    for word in rest:
        if takes_value:
            takes_value = False
            continue
        if word.startswith("-"):
            name = word.split("=", 1)[0]
            param = options.get(name)
            if param is None and name not in HELP:
                problems.append(f"{where}: {' '.join(path)} has no option {name}")
            # an unknown option is assumed to take the word after it: one mistake, one line
            takes_value = "=" not in word and (
                (param is None and name not in HELP)
                or (isinstance(param, click.Option) and not param.is_flag)
            )
        elif PLACEHOLDER.match(word):
            if arguments:
                arguments.pop(0)
        elif not arguments:
            problems.append(f"{where}: {' '.join(path)} takes no argument {word!r}")
        else:
            choices = getattr(arguments.pop(0).type, "choices", None)
            if choices is not None and word not in choices:
                problems.append(f"{where}: {word!r} is not one of {list(choices)}")
    return problems


def all_options() -> set[str]:
    found: set[str] = set(HELP)
    stack: list[click.Command] = [cli]
    while stack:
        command = stack.pop()
        found |= {o for p in command.params for o in (*p.opts, *p.secondary_opts)}
        if isinstance(command, click.Group):
            stack += list(command.commands.values())
    return found


def tool_problems(text: str, surface: Surface) -> list[str]:
    return sorted(f"no tool {name}" for name in tool_like_names(text) - set(surface.tools))


def argument_problems(text: str, surface: Surface) -> list[str]:
    problems = []
    for tool, argument, value in tool_arguments(text, set(surface.tools)):
        if argument not in surface.arguments(tool):
            problems.append(f"{tool} has no argument {argument!r}")
            continue
        allowed = surface.enum(tool, argument)
        if allowed is not None and value and value not in allowed:
            problems.append(f"{tool}({argument}={value!r}): not one of {allowed}")
    return sorted(problems)


def value_problems(text: str, surface: Surface) -> list[str]:
    """A literal value written in a call fits the tool's input schema: its type, its enum and
    the keys of the objects inside it (a renamed key of a nested argument shows here). A call
    must be written in Python's call syntax (`...` for a placeholder), or its values go unread."""
    found, broken = call_literals(text, set(surface.tools))
    problems = [f"{call[:60]}: not a call in Python syntax" for call in broken]
    for tool, argument, value in found:
        prop = surface.arguments(tool).get(argument)
        if prop is None:
            continue  # argument_problems names it
        schema = {**prop, "$defs": surface.tools[tool]["inputSchema"].get("$defs", {})}
        found = jsonschema.Draft202012Validator(schema).iter_errors(value)
        error = jsonschema.exceptions.best_match(found)
        if error is not None:
            problems.append(f"{tool}({argument}=...): {error.message[:160]}")
    return sorted(problems)


def state_problems(text: str, surface: Surface) -> list[str]:
    """A state-like word in code must be a JobState or a value some tool argument accepts."""
    known = {s.value for s in JobState}
    for tool in surface.tools:
        for argument in surface.arguments(tool):
            known |= {str(v) for v in surface.enum(tool, argument) or []}
    return sorted(f"no state {word!r}" for word in set(state_words(text)) - known)


def uri_problems(text: str, surface: Surface) -> list[str]:
    known = surface.resources | surface.templates
    return sorted(f"no resource {uri}" for uri in resource_uris(text) - known)


def description_problems(where: str, text: str, surface: Surface) -> list[str]:
    """A description names only tools and (for a tool) its own arguments, the fields inside
    them and its answer fields. A tool-like or backticked name must be one. In a tool's
    description and the instructions every snake_case word must be one, a cluster option, a
    model family (has a digit) or an oumi config field or enum value; an argument's description
    lists values freely, but a word that is some tool's argument or field must be this tool's."""
    tool = where.split()[1].split(".")[0] if where.startswith("tool ") else None
    scope = [tool] if tool else list(surface.tools)  # the instructions and listings: any tool's
    own = {
        n for t in scope for n in (*surface.arguments(t), *surface.nested(t), *surface.outputs(t))
    }
    known = set(surface.tools) | own | surface.prompts
    unknown = tool_like_names(text) - set(surface.tools)
    unknown |= {s for s in re.findall(r"`([a-z_][a-z0-9_]*)`", text) if s not in known}
    words = snake_words(re.sub(r"\S+://\S+", "", text)) - known
    if where.startswith("tool ") and "." in where.split()[1]:
        every = {n for t in surface.tools for n in (*surface.arguments(t), *surface.outputs(t))}
        unknown |= words & every
    elif where.startswith(("tool ", "instructions")):  # guide summaries: prose, checked as docs
        unknown |= {
            word
            for word in words
            if word not in ClusterOptions.model_fields
            and not re.search(r"\d", word)
            and word not in oumi_fields()
        }
    return [f"{where}: {w!r} is not a tool, nor an argument or field" for w in sorted(unknown)]


_FIELDS: set[str] = set()


def oumi_fields() -> set[str]:
    """Field names and enum values of oumi's config classes, read from its source (no import:
    fast), e.g. `model_max_length`, `lm_harness`."""
    if not _FIELDS:
        import importlib.util

        spec = importlib.util.find_spec("oumi")
        assert spec is not None and spec.origin is not None
        configs = Path(spec.origin).parent / "core" / "configs"
        for path in configs.rglob("*.py"):
            source = path.read_text()
            _FIELDS.update(re.findall(r"^    ([a-z_][a-z0-9_]*): ", source, re.M))
            _FIELDS.update(re.findall(r'^    [A-Z_0-9]+ = "([a-z_][a-z0-9_]*)"', source, re.M))
    return _FIELDS


# --- the docs ------------------------------------------------------------------------------


def test_every_command_line_in_the_docs_exists(docs: dict[str, str]) -> None:
    top = set(cli.commands) if isinstance(cli, click.Group) else set()
    seen = 0
    problems = []
    for name, text in docs.items():
        for words in cli_invocations(text, top):
            seen += 1
            problems += [f"{name}: {p}" for p in cli_problems(words)]
        known = all_options()
        problems += [
            f"{name}: no option {f}"
            for f in bare_flags(text)
            if name == "README.md" and f.split("=")[0] not in known
        ]
    assert seen >= 8
    assert problems == []


def test_every_tool_argument_state_and_uri_in_the_docs_exists(
    docs: dict[str, str], surface: Surface
) -> None:
    problems = []
    for name, text in docs.items():
        checks = (tool_problems, argument_problems, value_problems, state_problems, uri_problems)
        for check in checks:
            problems += [f"{name}: {p}" for p in check(text, surface)]
    assert problems == []


def test_tool_descriptions_and_listings_name_only_what_exists(surface: Surface) -> None:
    problems = []
    for where, text in surface.descriptions.items():
        problems += description_problems(where, text, surface)
        problems += [f"{where}: {p}" for p in uri_problems(text, surface)]
    assert len(surface.descriptions) > 40
    assert problems == []


def test_every_setting_and_repo_path_in_the_readme_exists(docs: dict[str, str]) -> None:
    code = "\n".join(p.read_text(encoding="utf-8") for p in SRC.rglob("*.py"))
    readme = docs["README.md"]
    settings = set(re.findall(r"\bOUMI_MCP_[A-Z_]+\b", readme))
    assert len(settings) >= 10
    assert sorted(s for s in settings if f'"{s}"' not in code) == []
    paths = {
        span.split()[-1]
        for span in code_snippets(readme)
        if re.fullmatch(r"(?:bash )?[\w.-]+/[\w./-]*", span) and not span.startswith("../")
    }
    in_repo = {p for p in paths if (REPO / p.split("/")[0]).exists()}
    assert len(in_repo) >= 3
    assert sorted(p for p in in_repo if not (REPO / p).exists()) == []


# --- the checkers catch drift (the README line of issue 10 among them) ----------------------

DRIFTED = """
    .venv/bin/oumi-mcp-server init --client claude-code
    .venv/bin/oumi-mcp-server serv --http
    .venv/bin/oumi-mcp-server init vscodium --dry-run
    .venv/bin/oumi-mcp-server jobs list --state running

Pass `--tokenfile PATH`. Call `get_started`, then `run_oumi_job` with `comand: train` and
`nproc: 2`; `wait_for_job(job_id, until=finished)`. A job waits as `pending`, then `running`.
Then `compare_run` the jobs, `compare_runs(job_ids="job-1", plot=true)`, or sweep:
`run_sweep(random={"training.learning_rate": {"lo": 1e-5, "high": 1e-3}}, n=6, seed=...)`.
Read `jobs://done` or `jobs://{job_id}`.
"""


def test_the_checkers_catch_drift(surface: Surface) -> None:
    top = set(cli.commands) if isinstance(cli, click.Group) else set()
    cli_found = [p for w in cli_invocations(DRIFTED, top) for p in cli_problems(w)]
    assert len(cli_found) == 4, cli_found
    assert "init takes no argument '--client'" not in " ".join(cli_found)
    assert any("init has no option --client" in p for p in cli_found)
    assert any("no command 'serv'" in p for p in cli_found)
    assert any("'vscodium' is not one of" in p for p in cli_found)
    assert any("list has no option --state" in p for p in cli_found)
    assert [f for f in bare_flags(DRIFTED) if f not in all_options()] == ["--tokenfile"]
    assert tool_problems(DRIFTED, surface) == ["no tool compare_run", "no tool get_started"]
    assert argument_problems(DRIFTED, surface) == [
        "run_oumi_job has no argument 'comand'",
        "wait_for_job(until='finished'): not one of ['done', 'running']",
    ]
    assert [p.split(": ")[0] for p in value_problems(DRIFTED, surface)] == [
        "compare_runs(job_ids=...)",
        "run_sweep(random=...)",
    ]
    assert "'lo' was unexpected" in value_problems(DRIFTED, surface)[1]
    assert state_problems(DRIFTED, surface) == ["no state 'pending'"]
    assert uri_problems(DRIFTED, surface) == ["no resource jobs://done"]
    bad = description_problems("tool cancel_job", "Pass `confirm_tok` or call get_stats.", surface)
    assert [line.split("'")[1] for line in bad] == ["confirm_tok", "get_stats"]
    other = description_problems(
        "tool list_jobs.cursor", "From `next_cursor`; see job_id.", surface
    )
    assert [line.split("'")[1] for line in other] == ["job_id"]
    assert description_problems("tool cancel_job", "Pass `confirm_token`.", surface) == []
    inner = description_problems("tool run_sweep", "random: {`low`, `high`, `logscale`}", surface)
    assert [line.split("'")[1] for line in inner] == ["logscale"]


# --- the config shapes the tune and judge guides show load in oumi 0.9 ---------------------

LOAD_BLOCKS = textwrap.dedent(
    """
    import json, os, re, sys
    from oumi.core.configs import TuningConfig
    from oumi.core.configs.judge_config import JudgeConfig
    classes = {"tune": TuningConfig, "judge": JudgeConfig}
    loaded = []
    for guide, block in json.loads(sys.stdin.read()):
        for path in re.findall(r"dataset_path: (\\S+)", block):
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            open(path, "w").write('{"messages": []}\\n')
        open("config.yaml", "w").write(block)
        config = classes[guide].from_yaml("config.yaml")
        config.finalize_and_validate()
        loaded.append(type(config).__name__)
    print(json.dumps(loaded))
    """
)


@pytest.mark.oumi
def test_tune_and_judge_guide_configs_load_with_oumis_classes(tmp_path: Path) -> None:
    fence = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)
    blocks = [(g, b) for g in ("tune", "judge") for b in fence.findall(read_guide(g))]
    assert len(blocks) == 3
    done = subprocess.run(
        [sys.executable, "-c", LOAD_BLOCKS],
        input=json.dumps(blocks),
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=subprocess_env() | {"PYTHONWARNINGS": "ignore"},
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [
        "TuningConfig",
        "JudgeConfig",
        "JudgeConfig",
    ]
    assert os.path.exists(tmp_path / "config.yaml")
