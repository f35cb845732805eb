"""Guides as MCP resources (`guidance://<name>`, `guidance://index`) and three starter prompts."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.prompts import Prompt
from mcp.server.mcpserver.resources import FunctionResource
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS
from pydantic import Field

from oumi_mcp_server.core.blocking import run_blocking
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.guidance.loader import list_guides, read_guide

INDEX_URI = "guidance://index"
_SHOWN_NAMES = 5
_NAME_CHARS = 40
MAX_ARGUMENT_BYTES = 800  # every argument at its longest: the answer stays under 8 KB


class CheckedPrompt(Prompt):
    """A prompt whose missing, empty, unknown or oversized arguments get a structured error
    naming them (the SDK answers each with a bare "Internal server error")."""

    async def render(self, arguments: dict[str, Any] | None, context: Context[Any, Any]) -> Any:
        check_arguments(self, arguments or {})
        return await super().render(arguments, context)


def _json_bytes(value: object) -> int:
    """What the value adds to the answer on the wire: a NUL is 6 bytes there, a quote 2."""
    return len(json.dumps(str(value), ensure_ascii=False).encode()) - 2


def check_arguments(prompt: Prompt, arguments: Mapping[str, object]) -> None:
    """Raise an INVALID_PARAMS error whose message is `{"error": {code, message, fix}}` JSON."""
    known = {a.name: a for a in prompt.arguments or []}
    missing = [
        n for n, a in known.items() if a.required and not str(arguments.get(n) or "").strip()
    ]
    unknown = [n[:_NAME_CHARS] for n in arguments if n not in known][:_SHOWN_NAMES]
    too_long = [n for n in known if _json_bytes(arguments.get(n) or "") > MAX_ARGUMENT_BYTES]
    if not missing and not unknown and not too_long:
        return
    usage = "; ".join(
        f"{n} ({'required' if a.required else 'optional'}): {a.description}"
        for n, a in known.items()
    )
    if missing:
        code, message = (
            "missing_prompt_argument",
            f"Prompt {prompt.name} needs {', '.join(missing)} (missing or empty).",
        )
    elif unknown:
        code, message = (
            "unknown_prompt_argument",
            f"Prompt {prompt.name} takes no argument named {', '.join(map(repr, unknown))}.",
        )
    else:
        code, message = (
            "prompt_argument_too_long",
            f"Prompt {prompt.name}: {', '.join(too_long)} over {MAX_ARGUMENT_BYTES} bytes "
            "(as UTF-8 JSON, escapes included).",
        )
    error = ServiceError(code, message, f"Pass its arguments as strings: {usage}.")
    raise MCPError(INVALID_PARAMS, error.to_json(), {"prompt": prompt.name})


def _reader(name: str) -> Callable[[], Awaitable[str]]:
    async def read() -> str:
        return await run_blocking(read_guide, name)

    return read


def _facts(*labelled: tuple[str, str]) -> str:
    """The prompt arguments given, one `Label: value` line each, then a blank line."""
    return "".join(f"{label}: {value}\n" for label, value in labelled if value) + "\n"


def guidance_index() -> str:
    """A short markdown list of every guide: URI, title, one-line summary, size."""
    lines = ["# Oumi guides", "", "Read `guidance://workflow` first.", ""]
    lines += [
        f"- {g.uri} ({g.size_bytes // 1000 + 1} KB): {g.title}. {g.summary}" for g in list_guides()
    ]
    return "\n".join(lines) + "\n"


def register(app: MCPServer) -> None:
    """Add one resource per guide, the index, and the prompts."""
    for guide in list_guides():
        app.add_resource(
            FunctionResource.from_function(
                fn=_reader(guide.name),
                uri=guide.uri,
                name=f"guide_{guide.name}",
                title=guide.title,
                description=guide.summary,
                mime_type="text/markdown",
            )
        )

    @app.resource(INDEX_URI, name="guide_index", title="Oumi guides", mime_type="text/markdown")
    def index() -> str:
        """Which guide covers what; start with guidance://workflow."""
        return guidance_index()

    def fine_tune(
        goal: Annotated[str, Field(description="what the tuned model should do")],
        base_model: Annotated[str, Field(description="model to start from")] = "",
        data: Annotated[str, Field(description="dataset path or name")] = "",
    ) -> str:
        """Start the fine-tuning loop for a goal, following the workflow guide."""
        return (
            "Help me fine-tune a model with Oumi.\n"
            + _facts(("Goal", goal), ("Base model", base_model), ("Data", data))
            + "Follow this workflow, asking me what it needs that is not stated above:\n\n"
            + read_guide("workflow")
        )

    def experiment(
        question: Annotated[str, Field(description="what the experiment should decide")],
        config: Annotated[str, Field(description="training config to start from")] = "",
    ) -> str:
        """Baseline eval, train, eval, compare, sweep, pick the best run, following a guide."""
        return (
            "Run a fine-tuning experiment with Oumi and show me the numbers.\n"
            + _facts(("Question", question), ("Training config", config))
            + "Follow this guide step by step, asking me before each launch and for what it "
            "needs that is not stated above:\n\n" + read_guide("experiment")
        )

    def wrap_up_run(job_id: Annotated[str, Field(description="the finished job's id")]) -> str:
        """Check a finished job, bring its outputs home, then stop paying for its cluster."""
        return (
            f"Job {job_id} should be finished. Wrap it up following this guide, and ask me "
            "before stopping or tearing down anything:\n\n" + read_guide("post_training")
        )

    app.add_prompt(
        CheckedPrompt.from_function(
            fine_tune, name="fine_tune", title="Fine-tune a model with Oumi"
        )
    )
    app.add_prompt(
        CheckedPrompt.from_function(
            wrap_up_run, name="wrap_up_run", title="Finish a training run safely"
        )
    )
    app.add_prompt(
        CheckedPrompt.from_function(
            experiment, name="experiment", title="Evaluate, compare and sweep fine-tuning runs"
        )
    )
