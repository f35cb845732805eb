"""The demo: start the server over stdio and drive it with the official MCP client, as an
assistant would, printing each step for a person to follow.

Part one (seconds): list tools, search the recipe catalog, read a recipe. Part two (about a
minute on CPU, offline): build a tiny model and chat data set, pre-flight the training config,
launch `oumi train` through the plan → confirm flow, wait with progress, read the logs and the
final loss, then launch `oumi infer` on the trained model and show its answers. Part two is
skipped, saying why, when the server lacks the job tools. A missing recipe catalog (a fresh
clone offline) is shown, `sync_configs` is tried as its error's fix says, and the demo goes on.

Measured on the shared 2-core box (other work running): part one ~7 s wall; the whole demo
~2-2.5 min (server up 3 s, tiny assets 17 s, the train job ~40 s, the infer job ~35 s: nearly
all of it oumi's imports; the 60 training steps take under 2 s).
"""

from __future__ import annotations

import json
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import anyio

from oumi_mcp_server.core.oumi_env import OFFLINE_ENV
from oumi_mcp_server.core.scripts import server_argv
from oumi_mcp_server.jobs.states import JobState

JOB_TOOLS = ("pre_flight_check", "run_oumi_job", "wait_for_job", "get_job_status", "get_job_logs")
CALL_TIMEOUT_S = 360.0
WAIT_SLICE_S = 120.0
JOB_DEADLINE_S = 900.0
SYNC_ROUNDS = 8


class DemoError(Exception):
    """A step failed; the message says which and why, `code` is the tool's error code if any."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


@dataclass
class DemoOptions:
    workdir: Path
    jobs: bool = True
    query: str = "smollm 135m sft"
    configs_dir: Path | None = None
    """Recipe catalog for the server; None: $OUMI_MCP_CONFIGS_DIR, else the snapshot beside a
    source checkout, else the server's normal recipe source."""
    server_command: list[str] = field(default_factory=list)
    out: TextIO | None = None
    """Where the narration goes; None: the current sys.stdout."""


def default_configs_dir() -> Path | None:
    """The read-only recipe snapshot `../shared/oumi-configs` beside a source checkout."""
    repo = Path(__file__).resolve().parents[3]
    snapshot = repo.parent / "shared" / "oumi-configs"
    return snapshot if (repo / "pyproject.toml").is_file() and snapshot.is_dir() else None


def default_server_command() -> list[str]:
    """`oumi-mcp-server serve` from this interpreter's environment."""
    return server_argv("serve")


def server_env(options: DemoOptions) -> dict[str, str]:
    env = dict(os.environ) | OFFLINE_ENV | {"PYTHONUNBUFFERED": "1"}
    configs = options.configs_dir or (
        None if env.get("OUMI_MCP_CONFIGS_DIR") else default_configs_dir()
    )
    if configs is not None:
        env["OUMI_MCP_CONFIGS_DIR"] = str(configs)
    return env


def run_demo(options: DemoOptions) -> int:
    """Run the demo; 0 when every step it ran worked, 1 otherwise (the reason is printed)."""
    demo = _Demo(options)
    try:
        anyio.run(demo.main)
    except Exception as exc:  # the server died or never spoke MCP: say so, not a traceback
        demo.failure = f"lost the server ({_cut(repr(exc), 300)}); see {demo.log_path}"
    if demo.failure:
        demo.say(f"\n✗ demo stopped: {demo.failure}")
        return 1
    demo.say("\n✓ demo finished")
    return 0


class _Demo:
    def __init__(self, options: DemoOptions) -> None:
        self.opt = options
        self.step = 0
        self.client: Any = None
        self.failure = ""
        self.log_path = options.workdir.resolve() / "server.log"

    def say(self, text: str = "") -> None:
        out = self.opt.out or sys.stdout
        out.write(text + "\n")
        out.flush()

    def header(self, text: str) -> None:
        self.step += 1
        self.say(f"\n── {self.step}. {text} " + "─" * max(0, 60 - len(text)))

    async def call(self, name: str, args: dict[str, Any], progress: Any = None) -> dict[str, Any]:
        """Call a tool the way an assistant does; an error result stops the demo, explained."""
        shown = ", ".join(f"{k}={_cut(repr(v), 64)}" for k, v in args.items() if k != "client_cwd")
        self.say(f"→ {name}({shown})")
        result = await self.client.call_tool(
            name, args, read_timeout_seconds=CALL_TIMEOUT_S, progress_callback=progress
        )
        text = "".join(getattr(block, "text", "") for block in result.content)
        if result.is_error:
            code, message = _error_text(text)
            raise DemoError(f"{name} returned an error: {message}", code)
        data = result.structured_content
        if isinstance(data, dict) and set(data) == {"result"} and isinstance(data["result"], dict):
            data = data["result"]
        if not isinstance(data, dict):
            data = json.loads(text) if text.startswith("{") else {"text": text}
        return dict(data)

    async def main(self) -> None:
        from mcp import Client, StdioServerParameters
        from mcp.client.stdio import stdio_client

        workdir = self.opt.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        command = self.opt.server_command or default_server_command()
        env = server_env(self.opt)
        self.say("Oumi MCP server demo: an assistant's session, step by step.")
        self.say(f"work folder: {workdir}")
        self.say(f"recipes:     {env.get('OUMI_MCP_CONFIGS_DIR', 'the server default source')}")
        self.header("start the server over stdio")
        self.say(f"$ {' '.join(command)}   (its stderr: {self.log_path})")
        params = StdioServerParameters(
            command=command[0], args=command[1:], env=env, cwd=str(workdir)
        )
        started = time.perf_counter()
        with self.log_path.open("a", encoding="utf-8") as errlog:
            async with Client(stdio_client(params, errlog=errlog)) as client:
                self.client = client
                self.say(f"connected in {time.perf_counter() - started:.2f} s")
                try:
                    await self.session(workdir)
                except DemoError as exc:
                    self.failure = str(exc)

    async def session(self, workdir: Path) -> None:
        tools = await self.list_tools()
        try:
            await self.recipes("sync_configs" in tools)
        except DemoError as exc:  # no catalog here (offline, first run): the rest still works
            self.say(f"(recipe part skipped: {exc})")
        missing = [t for t in JOB_TOOLS if t not in tools]
        if not self.opt.jobs:
            self.say("\n(job part skipped: --no-jobs)")
        elif missing:
            self.say(f"\n(job part skipped: this server has no {', '.join(missing)})")
        else:
            await self.jobs(workdir)

    async def list_tools(self) -> set[str]:
        self.header("list the tools")
        listing = await self.client.list_tools()
        size = len(
            json.dumps([t.model_dump(mode="json", exclude_none=True) for t in listing.tools])
        )
        self.say(f"{len(listing.tools)} tools, {size} bytes of tools/list:")
        for tool in listing.tools:
            first = (tool.description or "").strip().splitlines()[0] if tool.description else ""
            self.say(f"  • {tool.name}: {_cut(first, 80)}")
        return {tool.name for tool in listing.tools}

    async def recipes(self, can_sync: bool) -> None:
        self.header("search the recipe catalog")
        search = {"query": self.opt.query, "limit": 5}
        try:
            found = await self.call("search_configs", search)
        except DemoError as exc:
            if exc.code != "no_recipes" or not can_sync:
                raise
            self.say(f"  {exc}")
            if not await self.sync_recipes():
                self.say(
                    "(recipe part skipped: no recipes here; the fix above says how to add them)"
                )
                return
            found = await self.call("search_configs", search)
        results = found.get("results", [])
        self.say(f"source: {found.get('source', '?')}; {found.get('total_matches', 0)} matches")
        for hit in results:
            self.say(f"  • {hit['path']}  [{hit.get('task', '')}, {hit.get('model', '')}]")
        if found.get("note"):
            self.say(f"  note: {_cut(found['note'], 200)}")
        if not results:
            self.say("(no recipe to read: the catalog is empty or unavailable here)")
            return
        self.header("read a recipe")
        recipe = await self.call("get_config", {"path": results[0]["path"], "max_chars": 1200})
        self.say(
            f"{recipe.get('path')}: {recipe.get('task')} · {recipe.get('model')} · "
            f"peft {recipe.get('peft') or 'none'}"
        )
        if recipe.get("description"):
            self.say(f"  {_cut(recipe['description'], 160)}")
        lines = str(recipe.get("content", "")).splitlines()
        body = [line for line in lines if line.strip() and not line.lstrip().startswith("#")]
        for line in body[:12]:
            self.say(f"  | {line}")
        if len(body) > 12 or recipe.get("truncated"):
            self.say(f"  | ... (more in {recipe.get('file', 'the recipe')})")

    async def sync_recipes(self) -> bool:
        """Fetch the catalog the way the error's fix says, waiting while the download runs;
        True when there are recipes now (the server's own words say why not, once)."""
        self.header("download the recipe catalog")
        for _ in range(SYNC_ROUNDS):
            answer = await self.call("sync_configs", {})
            self.say(f"  {answer.get('state')}: {_cut(str(answer.get('message', '')), 600)}")
            if answer.get("state") != "running":
                return answer.get("state") in ("synced", "up_to_date", "not_needed")
        return False

    async def jobs(self, workdir: Path) -> None:
        from oumi_mcp_server.demo.assets import build_tiny_assets

        self.header("build a tiny model and chat data set (offline)")
        started = time.perf_counter()
        assets = await anyio.to_thread.run_sync(build_tiny_assets, workdir / "tiny")
        self.say(f"built in {time.perf_counter() - started:.1f} s:")
        for label, path in (
            ("model", assets.model_dir),
            ("data", assets.dataset_jsonl),
            ("train config", assets.train_config),
            ("infer config", assets.infer_config),
        ):
            self.say(f"  {label:13} {path.relative_to(workdir)}")
        train_config = str(assets.train_config.relative_to(workdir))
        cwd = str(workdir)

        self.header("pre-flight check")
        report = await self.call("pre_flight_check", {"config": train_config, "client_cwd": cwd})
        self.say(f"ready: {report.get('ready')} · {report.get('summary', '')}")
        for finding in report.get("findings", [])[:6]:
            self.say(
                f"  [{finding['severity']}] {finding['code']}: {_cut(finding['message'], 110)}"
            )
        if not report.get("ready"):
            raise DemoError("pre-flight found errors (above); not launching")

        job_id = await self.launch("train", train_config, cwd, "tiny-demo-train")
        status = await self.wait(job_id)
        self.header("read the training logs")
        logs = await self.call(
            "get_job_logs", {"job_id": job_id, "tail": 5, "stream": "stdout", "grep": "'loss'"}
        )
        for stream in logs.get("streams", []):
            for line in stream["text"].splitlines():
                self.say(f"  | {_cut(line, 110)}")
        self.header("final status and loss")
        status = await self.call("get_job_status", {"job_id": job_id})
        self.show_status(status)
        if status.get("status") != "completed":
            raise DemoError(f"training ended {status.get('status')}: {status.get('reason')}")

        infer_config = str(assets.infer_config.relative_to(workdir))
        infer_id = await self.launch("infer", infer_config, cwd, "tiny-demo-infer")
        status = await self.wait(infer_id)
        if status.get("status") != "completed":
            raise DemoError(f"inference ended {status.get('status')}: {status.get('reason')}")
        self.header("the trained model answers")
        for line in assets.predictions_jsonl.read_text(encoding="utf-8").splitlines():
            messages = json.loads(line)["messages"]
            self.say(f"  user:      {messages[0]['content']}")
            self.say(f"  assistant: {messages[-1]['content']}")
        self.say(f"  (written by oumi infer to {assets.predictions_jsonl.relative_to(workdir)})")

    async def launch(self, command: str, config: str, cwd: str, name: str) -> str:
        args = {"command": command, "config": config, "client_cwd": cwd, "job_name": name}
        self.header(f"plan `oumi {command}` (nothing runs yet)")
        offer = await self.call("run_oumi_job", args)
        plan = offer.get("plan") or {}
        self.say(f"  argv:       {' '.join(plan.get('argv', []))}")
        self.say(f"  cwd:        {plan.get('cwd')}")
        self.say(f"  output_dir: {plan.get('output_dir')}")
        self.say(f"  pre-flight: {_cut(str(plan.get('preflight', '')), 110)}")
        for note in plan.get("notes", [])[:3]:
            self.say(f"  note:       {_cut(note, 110)}")
        token = offer.get("confirm_token")
        if offer.get("launched") or not token:
            raise DemoError(f"expected a plan and a confirm_token, got: {offer.get('message')}")
        self.header(f"the user approves: launch `oumi {command}` with the confirm_token")
        started = await self.call("run_oumi_job", args | {"confirm_token": token})
        job = started.get("job") or {}
        if not started.get("launched") or not job.get("job_id"):
            raise DemoError(f"launch refused: {started.get('message')}")
        self.say(f"job {job['job_id']}: {job.get('status')} · run folder {job.get('run_dir')}")
        return str(job["job_id"])

    async def wait(self, job_id: str) -> dict[str, Any]:
        self.header("wait for the job, with progress")
        last: dict[str, Any] = {"state": None, "value": -1.0}

        async def progress(value: float, total: float | None, message: str | None) -> None:
            """Print a notification when the state changes or a tenth of the steps passed."""
            state = (message or "").split(",")[0]
            stride = total / 10 if total else 1.0
            if state == last["state"] and value - last["value"] < stride and value != total:
                return
            last.update(state=state, value=value)
            self.say(f"  … {message or ''}" + (f" · step {value:.0f}/{total:.0f}" if total else ""))

        deadline = time.monotonic() + JOB_DEADLINE_S
        while True:
            status = await self.call(
                "wait_for_job", {"job_id": job_id, "timeout_s": WAIT_SLICE_S}, progress
            )
            if JobState(str(status.get("status"))).is_terminal():
                break
            if time.monotonic() > deadline:
                raise DemoError(
                    f"job {job_id} still {status.get('status')} after {JOB_DEADLINE_S:.0f} s"
                )
        self.show_status(status)
        return status

    def show_status(self, status: dict[str, Any]) -> None:
        self.say(
            f"  status: {status.get('status')} (exit code {status.get('exit_code')}) "
            f"· from {status.get('status_source')}"
        )
        progress = status.get("progress") or {}
        if progress.get("loss") is not None:
            first = progress.get("first_loss")
            start = f"{first:.3f} → " if first is not None else ""
            self.say(
                f"  steps: {progress.get('step')}/{progress.get('total_steps')} · "
                f"loss {start}{progress['loss']:.3f}"
            )
        for line in status.get("error_lines", [])[-5:]:
            self.say(f"  ! {_cut(line, 110)}")


def _cut(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _error_text(text: str) -> tuple[str, str]:
    """(code, readable message) of a tool's `{"error": {...}}` answer."""
    try:
        error = json.loads(text)["error"]
    except (ValueError, KeyError, TypeError):
        return "", _cut(text, 300)
    fix = f" Fix: {error['fix']}" if error.get("fix") else ""
    return str(error.get("code", "")), f"[{error.get('code')}] {error.get('message')}{fix}"
