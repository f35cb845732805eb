"""Turn every failure at the MCP surface into `{"error": {"code", "message", "fix"}}` JSON.

Services raise ServiceError; the SDK raises its own errors around them (arguments that fail the
input schema, unknown tools, prompts and resources, crashes) as prose. `StructuredServer` maps
all of them, for every tool, resource and prompt, in one place.
"""

from __future__ import annotations

import errno
import functools
import json
import logging
import math
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from mcp.server.lowlevel.helper_types import ReadResourceContents
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import (
    ResourceError,
    ResourceNotFoundError,
    ToolError,
    UnexpectedResourceError,
)
from mcp.shared.exceptions import MCPError
from mcp.types import (
    INTERNAL_ERROR,
    INVALID_PARAMS,
    CallToolResult,
    GetPromptResult,
    InputRequiredResult,
    TextContent,
)
from pydantic import AnyUrl, ValidationError

from oumi_mcp_server.core.echo import short, short_path
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.faults import fault_error
from oumi_mcp_server.core.paths import cache_dir, state_dir
from oumi_mcp_server.core.redact import is_secret_name
from oumi_mcp_server.core.safe_read import os_error

P = ParamSpec("P")
R = TypeVar("R")
logger = logging.getLogger(__name__)
MAX_LISTED_ERRORS = 4
ECHO_CHARS = 80
MAX_INT_BITS = 63
_PATH_ERRNOS = {
    errno.ENAMETOOLONG,
    errno.ENOENT,
    errno.ENOTDIR,
    errno.ELOOP,
    errno.EACCES,
    errno.EPERM,
}
_JSON_TYPES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "dict": "object",
    "list": "array",
    "NoneType": "null",
}


def error_result(error: ServiceError) -> CallToolResult:
    """An isError tool result whose only text is the error JSON (no prose for a model to strip)."""
    return CallToolResult(content=[TextContent(type="text", text=error.to_json())], is_error=True)


def structured_errors(fn: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R | CallToolResult]]:
    """Wrap an async tool so a ServiceError reaches the client as an error result of pure JSON.

    Returned rather than raised: the SDK prefixes raised errors with prose, and a model parses
    `{"error": {"code", "message", "fix"}}` more reliably without it.
    """

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> R | CallToolResult:
        try:
            return await fn(*args, **kwargs)
        except ServiceError as exc:
            logger.info("tool %s refused: %s", fn.__name__, exc.code)
            return error_result(exc)

    return wrapper


def _shown(value: Any, secret: bool) -> str:
    """The JSON type of a rejected value, and the value itself when short, safe and scalar."""
    kind = _JSON_TYPES.get(type(value).__name__, type(value).__name__)
    if secret or value is None or isinstance(value, dict | list | tuple | set):
        return kind
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"{kind} of {value.bit_length()} bits"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)
    return f"{kind} {short(text, ECHO_CHARS)}"


def _expected(prop: dict[str, Any]) -> str:
    """One line from an input-schema property: the type (or enum) and the description."""
    if "enum" in prop:
        kind = "one of " + "|".join(str(v) for v in prop["enum"])
    else:
        types = prop.get("type", "any")
        kind = " or ".join(types) if isinstance(types, list) else str(types)
    desc = prop.get("description")
    return f"{kind} ({desc})" if desc else kind


def argument_error(tool: str, schema: dict[str, Any], exc: ValidationError) -> ServiceError:
    """Arguments that fail the input schema: which, what was wrong, what is expected."""
    props: dict[str, Any] = schema.get("properties", {})
    problems: list[str] = []
    names: list[str] = []
    for err in exc.errors():
        loc = [short(part) for part in err["loc"]]
        where = ".".join(loc) or "arguments"
        if loc and loc[0] not in names:
            names.append(loc[0])
        if err["type"] == "missing":
            problems.append(f"'{where}' is missing")
        else:
            got = _shown(err.get("input"), any(is_secret_name(p) for p in loc))
            problems.append(f"'{where}': {short(err['msg'], 160)}, got {got}")
    more = len(problems) - MAX_LISTED_ERRORS
    shown = problems[:MAX_LISTED_ERRORS] + ([f"{more} more"] if more > 0 else [])
    expected = [f"{n}: {_expected(props[n])}" for n in names[:MAX_LISTED_ERRORS] if n in props]
    required = schema.get("required", [])
    return ServiceError(
        "bad_argument",
        f"{tool}: {'; '.join(shown)}.",
        ("Expected " + "; ".join(expected) + ". " if expected else "")
        + (f"Required: {', '.join(required)}." if required else "Every argument is optional."),
    )


def unusable_numbers(tool: str, arguments: dict[str, Any]) -> ServiceError | None:
    """Integers past 64 bits and NaN/infinity, anywhere in the arguments: no tool means them,
    and formatting a 4,300-digit integer raises (checked before any tool sees them)."""
    stack: list[tuple[str, Any]] = [(short(k), v) for k, v in arguments.items()]
    while stack:
        where, value = stack.pop()
        if isinstance(value, dict):
            stack += [(f"{where}.{short(k)}", v) for k, v in value.items()]
        elif isinstance(value, list):
            stack += [(f"{where}[{i}]", v) for i, v in enumerate(value)]
        elif isinstance(value, float) and not math.isfinite(value):
            return ServiceError(
                "bad_argument", f"{tool}: '{where}' is {value}.", "Pass a finite number."
            )
        elif isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
            return ServiceError(
                "bad_argument",
                f"{tool}: '{where}' is an integer of {value.bit_length()} bits.",
                "Pass an integer that fits in 64 bits (the tool's description gives its range).",
            )
    return None


def _fault(chain: list[BaseException]) -> ServiceError | None:
    """A path, disk or database fault a service let through: about a path the caller named
    (the path's error), else about the server's own folders (core.faults), else the OS's words."""
    for link in chain:
        if isinstance(link, OSError) and link.errno in _PATH_ERRNOS and link.filename:
            named = Path(str(link.filename))
            if not any(named.is_relative_to(own) for own in (state_dir(), cache_dir())):
                return os_error(link, named, "path")
        if (fault := fault_error(link)) is not None:
            return fault
    for link in chain:
        if isinstance(link, OSError):
            where = f" ({short_path(link.filename)})" if link.filename else ""
            return ServiceError(
                "os_error",
                f"{link.strerror or type(link).__name__}{where}.",
                f"Check the paths passed; if they are right, check the server's folders "
                f"({state_dir()}).",
            )
    return None


def _internal(what: str) -> ServiceError:
    return ServiceError(
        "internal_error",
        f"{what} failed unexpectedly (a server bug, not your input's fault).",
        f"Retry once; if it fails again, report it with the server log "
        f"{state_dir() / 'logs' / 'server.log'}.",
    )


def _error_json(text: str) -> ServiceError | None:
    """A ServiceError serialized in an SDK exception's message (resolvers raise them so)."""
    start = text.find('{"error"')
    if start < 0:
        return None
    try:
        body = json.loads(text[start:])["error"]
        return ServiceError(
            body["code"], body["message"], body.get("fix", ""), body.get("details", {})
        )
    except (ValueError, KeyError, TypeError):
        return None


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and what caused it, outermost first (the SDK wraps each failure once or twice)."""
    chain: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and len(chain) < 8:
        chain.append(link)
        link = link.__cause__
    return chain


def _carried(chain: list[BaseException]) -> ServiceError | None:
    """The ServiceError a failure carries: raised as is, or serialized into an SDK error's text."""
    for link in reversed(chain):
        if isinstance(link, ServiceError):
            return link
        if isinstance(link, ToolError | ResourceError | ValueError) and (
            found := _error_json(str(link))
        ):
            return found
    return None


def _tool_failure(tool: str, schema: dict[str, Any] | None, exc: ToolError) -> ServiceError:
    """The structured error for a ToolError the SDK raised around a tool (or in place of one)."""
    if schema is None:
        return ServiceError(
            "unknown_tool",
            f"Unknown tool '{short(tool, ECHO_CHARS)}'.",
            "tools/list names the tools this server offers.",
        )
    chain = _chain(exc)
    if isinstance(chain[-1], ValidationError):
        return argument_error(tool, schema, chain[-1])
    if carried := _carried(chain):
        return carried
    if isinstance(chain[-1], ToolError | ResourceError):
        return ServiceError("tool_failed", short(chain[-1], 500), "Check the arguments.")
    if fault := _fault(chain):
        logger.warning("tool %r met a fault: %s", tool, fault.code, exc_info=chain[-1])
        return fault
    logger.error("tool %r crashed", tool, exc_info=chain[-1])
    return _internal(f"Tool {tool}")


class StructuredServer(MCPServer):
    """An MCPServer whose tool, resource and prompt failures all reach the client structured.

    Tools answer an isError result of pure error JSON; resources and prompts (which can only fail
    as JSON-RPC errors) carry the same JSON as the error message. Inputs quoted are clipped.
    """

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context | None = None
    ) -> CallToolResult | InputRequiredResult:
        schema = self._tool_input_schema(name)
        if schema is not None and (refused := unusable_numbers(name, arguments)):
            logger.info("tool %r refused: %s", name, refused.code)
            return error_result(refused)
        try:
            return await super().call_tool(name, arguments, context)
        except MCPError:
            raise
        except ToolError as exc:
            error = _tool_failure(name, schema, exc)
            logger.info("tool %r refused: %s", short(name, ECHO_CHARS), error.code)
            return error_result(error)

    async def read_resource(
        self, uri: AnyUrl | str, context: Context | None = None
    ) -> Iterable[ReadResourceContents] | InputRequiredResult:
        try:
            return await super().read_resource(uri, context)
        except MCPError:
            raise
        except ResourceError as exc:
            shown = short(uri, ECHO_CHARS)
            error = _carried(_chain(exc)) or _fault(_chain(exc))
            if error is None and isinstance(exc, UnexpectedResourceError):
                logger.error("resource %r crashed", shown, exc_info=exc.__cause__)
                raise _protocol_error(_internal(f"Reading {shown}"), INTERNAL_ERROR) from None
            if error is None and isinstance(exc, ResourceNotFoundError):
                error = ServiceError(
                    "unknown_resource",
                    f"Unknown resource '{shown}'.",
                    "resources/list and resources/templates/list name what can be read, "
                    "e.g. guidance://index, jobs://{job_id}.",
                )
            if error is None:
                error = ServiceError("resource_failed", short(exc, 500), "Check the URI.")
            raise _protocol_error(error, INVALID_PARAMS) from None

    async def get_prompt(
        self, name: str, arguments: dict[str, Any] | None = None, context: Context | None = None
    ) -> GetPromptResult | InputRequiredResult:
        prompt = self._prompt_manager.get_prompt(name)
        if prompt is None:
            raise _protocol_error(
                ServiceError(
                    "unknown_prompt",
                    f"Unknown prompt '{short(name, ECHO_CHARS)}'.",
                    "prompts/list names the prompts: "
                    + ", ".join(p.name for p in self._prompt_manager.list_prompts())
                    + ".",
                ),
                INVALID_PARAMS,
            )
        try:
            return await super().get_prompt(name, arguments, context)
        except MCPError:
            raise
        except Exception as exc:
            if carried := _carried(_chain(exc)):
                raise _protocol_error(carried, INVALID_PARAMS) from None
            logger.error("prompt %r crashed", name, exc_info=exc)
            raise _protocol_error(_internal(f"Prompt {name}"), INTERNAL_ERROR) from None


def _protocol_error(error: ServiceError, code: int) -> MCPError:
    """A JSON-RPC error whose message is the same error JSON a tool would answer."""
    return MCPError(code=code, message=error.to_json())
