"""Read what the README and the guides write in code: command lines, tool names, tool arguments,
states, URIs. Pure text functions, shared by the guide tests and the drift test."""

from __future__ import annotations

import ast
import re
import shlex

_FENCE = re.compile(r"^[ \t]*```[a-z]*\n(.*?)^[ \t]*```", re.S | re.M)
_INLINE = re.compile(r"`([^`]+)`")  # a span may wrap onto the next line
_SNAKE = re.compile(r"^([a-z][a-z0-9]*)(?:_[a-z0-9]+)+(?:\(.*\))?$")
_CALL = re.compile(r"(?<![.\w])([a-z][a-z0-9]*(?:_[a-z0-9]+)+)\(([^()]*)\)")  # not obj.method()
_OUMI_CMD = re.compile(r"(?<![\w./\[-])oumi ((?:[a-z][a-z-]*)(?: [a-z][a-z-]*)?)((?: +\S+)*)")
_OUR_CLI = re.compile(r"(?:^|[\s/])oumi-mcp-server((?: +\S+)*)")
_URI = re.compile(r"\b((?:jobs|guidance)://[A-Za-z0-9_{}/.-]*[A-Za-z0-9_}])")
_ARGUMENT = re.compile(r"^([a-z][a-z0-9_]*)(?::\s+|\s*=\s*)(.+)$")
_SENTENCE_END = re.compile(r"[.;!?](?:\s|$)|\n\n")
# A backticked snake_case word starting with one of these verbs reads as a tool name.
TOOL_VERBS = frozenset(
    [
        "search",
        "get",
        "list",
        "sync",
        "validate",
        "pre",
        "run",
        "wait",
        "cancel",
        "stop",
        "down",
        "fetch",
        "inspect",
        "prepare",
        "check",
        "compare",
        "create",
        "delete",
        "describe",
        "download",
        "launch",
        "merge",
        "push",
        "read",
        "show",
        "start",
        "submit",
        "tail",
        "update",
        "upload",
        "deploy",
        "evaluate",
        "train",
    ]
)
# Words a reader takes for a job's state when written in code.
STATE_WORDS = frozenset(
    [
        "queued",
        "pending",
        "launching",
        "starting",
        "running",
        "completed",
        "succeeded",
        "success",
        "finished",
        "done",
        "failed",
        "failure",
        "error",
        "errored",
        "cancelled",
        "canceled",
        "stopped",
        "killed",
        "exited",
        "lost",
        "unknown",
        "timeout",
    ]
)


def fenced_lines(text: str) -> list[str]:
    return [line.strip() for block in _FENCE.findall(text) for line in block.splitlines()]


def indented_lines(text: str) -> list[str]:
    """Lines of markdown's indented code blocks (4 spaces after a blank line), outside fences."""
    out: list[str] = []
    in_block = False
    previous_blank = True
    for line in _FENCE.sub("", text).splitlines():
        if line.startswith("    ") and line.strip() and (in_block or previous_blank):
            out.append(line.strip())
            in_block = True
        elif line.strip():
            in_block = False
        previous_blank = not line.strip()
    return out


def inline_spans(text: str) -> list[str]:
    return [" ".join(span.split()) for span in _INLINE.findall(_FENCE.sub("", text))]


def code_snippets(text: str) -> list[str]:
    """Every line of every code block and every inline code span."""
    return fenced_lines(text) + indented_lines(text) + inline_spans(text)


def tool_like_names(text: str) -> set[str]:
    """Backticked snake_case words that start with a tool verb, and `name(...)` calls in code."""
    found = set()
    for span in inline_spans(text):
        match = _SNAKE.match(span.strip())
        if match and match.group(1) in TOOL_VERBS:
            found.add(span.strip().split("(")[0])
    for snippet in code_snippets(text):
        found |= {
            m.group(1) for m in _CALL.finditer(snippet) if m.group(1).split("_")[0] in TOOL_VERBS
        }
    return found


def oumi_commands(text: str) -> list[tuple[list[str], list[str]]]:
    """(command words, flags) of every `oumi <subcommand> ...` written in code."""
    out = []
    for snippet in code_snippets(text):
        for match in _OUMI_CMD.finditer(snippet):
            words = match.group(1).split()
            flags = [tok for tok in match.group(2).split() if tok.startswith("-")]
            out.append((words, flags))
    return out


def _tokens(command: str) -> list[str]:
    """Shell words up to a comment or another command; `[--opt X]` brackets dropped."""
    command = re.split(r"\s#|\s(?:\||&&|;)\s", command, maxsplit=1)[0]
    try:
        words = shlex.split(command)
    except ValueError:
        words = command.split()
    return [w.strip("[]") for w in words if w.strip("[]")]


def cli_invocations(text: str, top_commands: set[str]) -> list[list[str]]:
    """The words after `oumi-mcp-server` in every code line, plus inline spans that start with
    one of its subcommands (`serve --http`, `jobs list`)."""
    out = []
    for snippet in fenced_lines(text) + indented_lines(text) + inline_spans(text):
        match = _OUR_CLI.search(snippet)
        if match:
            out.append(_tokens(match.group(1)))
    for span in inline_spans(text):
        words = _tokens(span)
        if words and words[0] in top_commands and "oumi-mcp-server" not in span:
            out.append(words)
    return out


def bare_flags(text: str) -> list[str]:
    """Inline spans that are a flag alone (`--token-file PATH`)."""
    return [span.split()[0] for span in inline_spans(text) if span.startswith("-")]


def tool_arguments(text: str, tools: set[str]) -> list[tuple[str, str, str]]:
    """(tool, argument, value) written as `tool(arg=value)` or as "`tool` with `arg: value`"
    (any backticked `arg: value` later in the same sentence as a backticked tool name)."""
    found: list[tuple[str, str, str]] = []
    for snippet in code_snippets(text):
        for match in _CALL.finditer(snippet):
            if match.group(1) not in tools:
                continue
            for part in filter(None, (p.strip() for p in match.group(2).split(","))):
                name, _, value = part.partition("=")
                if re.fullmatch(r"[a-z_][a-z0-9_]*", name.strip()):
                    found.append((match.group(1), name.strip(), value.strip().strip("'\"")))
    prose = _FENCE.sub("", text)
    for match in _INLINE.finditer(prose):
        if match.group(1) not in tools:
            continue
        end = _SENTENCE_END.search(prose, match.end())
        sentence = prose[match.end() : end.start() if end else len(prose)]
        for span in _INLINE.findall(sentence):
            if span in tools:
                break  # another tool's arguments follow
            arg = _ARGUMENT.match(span)
            if arg:
                found.append((match.group(1), arg.group(1), arg.group(2).strip().strip("'\"")))
    return found


_JSON_NAMES: dict[str, object] = {"true": True, "false": False, "null": None}
_NOT_LITERAL = object()


def _literal(node: ast.expr) -> object:
    """The value of a JSON-like literal (`true`, `false`, `null` too); _NOT_LITERAL for a
    placeholder (`...`, a bare name) or an expression."""
    if isinstance(node, ast.Constant) and node.value is not Ellipsis:
        return node.value
    if isinstance(node, ast.Name):
        return _JSON_NAMES.get(node.id, _NOT_LITERAL)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _literal(node.operand)
        return -inner if isinstance(inner, int | float) else _NOT_LITERAL
    if isinstance(node, ast.List):
        items = [_literal(e) for e in node.elts]
        return _NOT_LITERAL if _NOT_LITERAL in items else items
    if isinstance(node, ast.Dict):
        keys = [_literal(k) if k is not None else _NOT_LITERAL for k in node.keys]
        values = [_literal(v) for v in node.values]
        if _NOT_LITERAL in values or not all(isinstance(k, str) for k in keys):
            return _NOT_LITERAL
        return dict(zip(keys, values, strict=True))
    return _NOT_LITERAL


def call_literals(text: str, tools: set[str]) -> tuple[list[tuple[str, str, object]], list[str]]:
    """(tool, argument, value) for each `tool(arg=value)` in code whose value is a literal
    (strings, numbers, lists, JSON objects; placeholders like `...` are left out), and the
    calls that are not in Python's call syntax (so their values could not be read)."""
    found: list[tuple[str, str, object]] = []
    broken: list[str] = []
    for snippet in code_snippets(text):
        for match in _CALL.finditer(snippet):
            if match.group(1) not in tools:
                continue
            try:
                call = ast.parse(f"f({match.group(2)})", mode="eval").body
            except SyntaxError:
                broken.append(match.group(0))
                continue
            assert isinstance(call, ast.Call)
            for keyword in call.keywords:
                value = _literal(keyword.value)
                if keyword.arg and value is not _NOT_LITERAL:
                    found.append((match.group(1), keyword.arg, value))
    return found, broken


def state_words(text: str) -> list[str]:
    """Backticked single words a reader takes for job states."""
    return [span for span in inline_spans(text) if span in STATE_WORDS]


def resource_uris(text: str) -> set[str]:
    return set(_URI.findall(text))


def snake_words(text: str) -> set[str]:
    return set(re.findall(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b", text))
