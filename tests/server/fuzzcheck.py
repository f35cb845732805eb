"""The checks every fuzzed answer passes, and the harness that drives one server from sync tests.

An answer: no exception escapes the client, an error is `{"error": {"code", "message", "fix"}}`
JSON and not a crash, at most 8 KB unless the caller asked for more, and nothing written outside
the state and cache folders and client_cwd (HOME, the process cwd, TMPDIR and the catalog are
watched; /tmp, shared with other processes, for entries the call marked or named).
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
from anyio.from_thread import BlockingPortal
from mcp import Client
from mcp.shared.exceptions import MCPError
from mcp.types import CallToolResult, TextContent

from jobs.jobhelpers import write_fake_oumi

MARKER = "fuzzpwn"
"""In every path the fuzzer invents outside the allowed folders: a file with it is a leak."""
ANSWER_LIMIT = 8192
VIEW_LIMIT = 60 * 1024
"""An in-chat view (ui:// resource, MCP Apps) is a whole HTML page: the issue caps it at 60 KB."""
ERROR_KEYS = ("code", "message", "fix")
CALL_TIMEOUT_S = 90.0
ASKED_FOR_MORE: dict[str, Callable[[dict[str, Any]], Any]] = {
    "get_config": lambda a: a.get("max_chars") if a.get("include_content", True) else 0,
    "get_job_logs": lambda a: a.get("max_bytes"),
}
"""Arguments by which a caller asks for answers over 8 KB (the limit grows with what it asks)."""


@dataclass
class World:
    """The folders one fuzz run uses: only `state`, `cache` and `project` may change."""

    root: Path
    home: Path = field(init=False)
    cwd: Path = field(init=False)
    tmp: Path = field(init=False)
    state: Path = field(init=False)
    cache: Path = field(init=False)
    project: Path = field(init=False)
    catalog: Path = field(init=False)

    def __post_init__(self) -> None:
        for name in ("home", "cwd", "tmp", "state", "cache", "project", "catalog"):
            setattr(self, name, self.root / name)
            getattr(self, name).mkdir(parents=True, exist_ok=True)

    @property
    def watched(self) -> list[Path]:
        return [self.home, self.cwd, self.tmp, self.catalog, self.root / "bin"]

    def paths(self) -> list[str]:
        """Hostile and odd paths: traversal, devices, secrets, shell syntax, leaks outside."""
        outside = [self.home / MARKER, self.cwd / f"{MARKER}-cwd", self.catalog / MARKER]
        return [
            "../../etc/passwd",
            "/etc/shadow",
            "/etc/passwd",
            "~root",
            "~root/.ssh/id_rsa",
            "~/.bashrc",
            "..",
            "../",
            "/",
            "//",
            "/dev/zero",
            "/dev/null",
            "/proc/self/mem",
            "/proc/self/environ",
            "train.yaml\x00.txt",
            "\x00",
            "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
            "..\\..\\windows\\win.ini",
            "file:///etc/passwd",
            f"$(touch /tmp/{MARKER}-sh)",
            f"; touch /tmp/{MARKER}-semi",
            f"/tmp/{MARKER}-abs/out",
            f"../{MARKER}-up/x",
            f"../../{MARKER}-up2",
            "x" * 300,
            "/" + "x" * 300,
            f"{self.project}/{'x' * 300}.yaml",
            "a/" * 2000,
            "/" + "a/" * 3000,
            "~fuzznouser/x.yaml",
            *(str(p) for p in outside),
            str(self.project / "train.yaml"),
            str(self.catalog / "recipes" / "tiny" / "sft" / "train.yaml"),
        ]


def build_world(root: Path) -> tuple[World, dict[str, str]]:
    world = World(root)
    (world.project / "train.yaml").write_text(
        "model:\n  model_name: tiny/model\ntraining:\n  max_steps: 1\n  output_dir: out\n"
    )
    (world.project / "data.jsonl").write_text('{"messages": []}\n' * 3)
    (world.project / "sub").mkdir()
    (world.project / "link.yaml").symlink_to("/etc/passwd")
    recipe = world.catalog / "recipes" / "tiny" / "sft" / "train.yaml"
    recipe.parent.mkdir(parents=True)
    recipe.write_text("# Tiny SFT.\nmodel:\n  model_name: tiny/model\ntraining:\n  max_steps: 1\n")
    (world.root / "bin").mkdir()
    env = {
        "HOME": str(world.home),
        "OUMI_MCP_STATE_DIR": str(world.state),
        "OUMI_MCP_CACHE_DIR": str(world.cache),
        "OUMI_MCP_CONFIGS_DIR": str(world.catalog),
        "OUMI_MCP_CONFIGS_ARCHIVE_URL": "http://127.0.0.1:9/{ref}.tar.gz",
        "OUMI_MCP_PREFLIGHT": "off",
        "OUMI_MCP_OUMI_BIN": str(write_fake_oumi(world.root / "bin")),
        "FAKE_STEPS": "2",
        "TMPDIR": str(world.tmp),
    }
    return world, env


def _printable(value: Any) -> Any:
    """`value` with integers too long for repr() (over 4,300 digits) replaced by a note."""
    if isinstance(value, dict):
        return {_printable(k): _printable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_printable(v) for v in value]
    if isinstance(value, int) and value.bit_length() > 10_000:
        return f"<int of {value.bit_length()} bits>"
    return value


def short(value: Any, limit: int = 300) -> str:
    """A bounded repr for failure messages (inputs can be a megabyte)."""
    text = repr(_printable(value))
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} chars)"


def strings_in(value: Any) -> str:
    """Every string inside `value`, one a line: what a call could have named as a path."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "\n".join(strings_in(k) + "\n" + strings_in(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return "\n".join(strings_in(v) for v in value)
    return ""


def assert_error_json(text: str, where: str) -> dict[str, Any]:
    """The text is `{"error": {"code", "message", "fix"}}` and no crash hides behind it."""
    try:
        body = json.loads(text)
    except ValueError:
        raise AssertionError(f"{where}: error is not JSON: {short(text)}") from None
    error = body.get("error") if isinstance(body, dict) else None
    assert isinstance(error, dict), f"{where}: no 'error' object: {short(text)}"
    for key in ERROR_KEYS:
        assert isinstance(error.get(key), str) and error[key], f"{where}: no {key}: {short(text)}"
    assert error["code"] != "internal_error", f"{where}: the server crashed: {short(text)}"
    return error


@dataclass(frozen=True)
class Entry:
    is_dir: bool
    size: int
    mtime_ns: int


def snapshot(roots: list[Path]) -> dict[str, Entry]:
    """Every file and folder under `roots`, with size and mtime."""
    out: dict[str, Entry] = {}
    for root in roots:
        for folder, dirs, files in os.walk(root):
            for name in dirs + files:
                path = os.path.join(folder, name)
                try:
                    st_ = os.lstat(path)
                except OSError:
                    continue
                out[path] = Entry(name in dirs, st_.st_size, st_.st_mtime_ns)
    return out


def tmp_listing() -> set[str]:
    return set(os.listdir("/tmp"))


def changes(before: dict[str, Entry], after: dict[str, Entry]) -> list[str]:
    """Paths created, deleted or modified (a folder's mtime alone is not a change)."""
    out = [f"+{p}" for p in after.keys() - before.keys()]
    out += [f"-{p}" for p in before.keys() - after.keys()]
    out += [
        f"~{p}"
        for p in after.keys() & before.keys()
        if not after[p].is_dir and after[p] != before[p]
    ]
    return sorted(out)


def new_tmp_leaks(before: set[str], after: set[str], args_blob: str) -> list[str]:
    """New /tmp entries this call made: marked ones, or ones named in its arguments.

    /tmp is shared with other processes, so an unrelated new entry is not blamed on the call.
    """
    return sorted(n for n in after - before if MARKER in n or (len(n) > 3 and n in args_blob))


def answer_text(result: CallToolResult) -> str:
    return "".join(c.text for c in result.content if isinstance(c, TextContent))


def check_answer(name: str, args: dict[str, Any], result: CallToolResult) -> None:
    text = answer_text(result)
    where = f"{name}{short(args)}"
    if result.is_error:
        assert_error_json(text, where)
    asked = ASKED_FOR_MORE.get(name, lambda a: 0)(args)
    limit = ANSWER_LIMIT + (2 * asked if isinstance(asked, int) and asked > 0 else 0)
    size = len(text.encode("utf-8", "surrogatepass"))
    assert size <= limit, f"{where}: answer of {size:,} bytes: {short(text)}"


@dataclass
class Harness:
    """One client on one server for the module, driven from sync hypothesis tests."""

    portal: BlockingPortal
    client: Client
    world: World
    schemas: dict[str, dict[str, Any]] = field(default_factory=dict)
    warm_up_writes: dict[str, list[str]] = field(default_factory=dict)
    calls: int = 0

    def run(self, fn: Callable[[], Awaitable[Any]]) -> Any:
        async def bounded() -> Any:
            with anyio.fail_after(CALL_TIMEOUT_S):
                return await fn()

        self.calls += 1
        return self.portal.call(bounded)

    def watch(self, what: str, args: Any, act: Callable[[], None]) -> None:
        """Run `act`; fail if it left anything outside the state, cache and project folders."""
        before, tmp_before = snapshot(self.world.watched), tmp_listing()
        act()
        leaked = changes(before, snapshot(self.world.watched))
        leaked += new_tmp_leaks(tmp_before, tmp_listing(), strings_in(args))
        assert not leaked, f"{what}{short(args)} wrote outside its folders: {leaked[:10]}"

    def warm_up(
        self, name: str, args: dict[str, Any], settle: Callable[[], object] = lambda: None
    ) -> None:
        """A first call that imports oumi (or SkyPilot), so the fuzz itself runs fast; `settle`
        waits for what the call left running (a background import).

        Imports leave library folders in the temp dir (torch's inductor cache, wandb's), the
        same whatever the input; anything else they write is kept for that tool's test.
        """
        roots = [p for p in self.world.watched if p != self.world.tmp]
        before = snapshot(roots)
        self.run(lambda: self.client.call_tool(name, args))
        settle()
        self.warm_up_writes[name] = self.warm_up_writes.get(name, []) + changes(
            before, snapshot(roots)
        )

    def check_tool(self, name: str, args: dict[str, Any]) -> CallToolResult:
        out: list[CallToolResult] = []

        def act() -> None:
            try:
                out.append(self.run(lambda: self.client.call_tool(name, args)))
            except MCPError as exc:
                assert_error_json(exc.error.message, f"{name}{short(args)} (protocol error)")
            except Exception as exc:
                raise AssertionError(f"{name}{short(args)} raised {exc!r}") from exc

        self.watch(name, args, act)
        if out:
            check_answer(name, args, out[0])
            return out[0]
        return CallToolResult(content=[])
