"""What a row is (chat, prompt/completion, text) and what is wrong with it, as oumi reads it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from oumi_mcp_server.core.echo import short

ROLES = ("system", "user", "assistant", "tool")
FORMATS = ("chat", "prompt_completion", "text")
_REQUIRED = {"chat": "messages", "prompt_completion": "prompt and completion", "text": "text"}


def row_format(value: dict[str, Any]) -> str:
    """chat, prompt_completion, text, or unknown, from the keys of one row."""
    if "messages" in value:
        return "chat"
    if "prompt" in value and "completion" in value:
        return "prompt_completion"
    if "text" in value:
        return "text"
    return "unknown"


def detect_format(values: Iterable[dict[str, Any]]) -> str:
    """The format most rows have (unknown when none has a known one)."""
    counts = Counter(row_format(v) for v in values)
    counts.pop("unknown", None)
    return counts.most_common(1)[0][0] if counts else "unknown"


@dataclass
class Checked:
    """One row's problems, its roles, and the text whose length is counted."""

    problems: list[tuple[str, str]] = field(default_factory=list)  # (kind, detail)
    roles: list[str] = field(default_factory=list)
    contents: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        if self.roles:
            return "\n".join(f"{r}: {c}" for r, c in zip(self.roles, self.contents, strict=True))
        return "\n".join(self.contents)


def _content(value: Any) -> str | None:
    """A message's text: a string, or the text parts of a list of content parts."""
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        parts = [p.get("text") for p in value if isinstance(p, dict)]
        texts = [p for p in parts if isinstance(p, str)]
        if texts or not value:
            return "\n".join(texts)
        if all(isinstance(p, dict) and p.get("type") not in (None, "text") for p in value):
            return ""  # images or other media only
    return None


def check(value: dict[str, Any], fmt: str) -> Checked:
    """The problems of one row read as `fmt` (the data set's format)."""
    out = Checked()
    if fmt == "chat":
        _check_chat(value, out)
    elif fmt == "prompt_completion":
        for key in ("prompt", "completion"):
            _field(value, key, out)
    elif fmt == "text":
        _field(value, "text", out)
    return out


def _field(value: dict[str, Any], key: str, out: Checked) -> None:
    text = value.get(key)
    if key not in value:
        out.problems.append((f"missing_{key}", f"no '{key}' field"))
    elif not isinstance(text, str):
        out.problems.append(("bad_field", f"'{key}' is {type(text).__name__}, not a string"))
    elif not text.strip():
        out.problems.append(("empty_content", f"'{key}' is empty"))
    else:
        out.contents.append(text)


def _check_chat(value: dict[str, Any], out: Checked) -> None:
    messages = value.get("messages")
    if not isinstance(messages, list):
        what = (
            "no 'messages' field"
            if messages is None
            else f"'messages' is {type(messages).__name__}"
        )
        out.problems.append(("missing_messages", what))
        return
    if not messages:
        out.problems.append(("missing_messages", "'messages' is empty"))
        return
    for i, msg in enumerate(messages, 1):
        if not isinstance(msg, dict):
            out.problems.append(("bad_message", f"message {i} is not an object"))
            return
        role = msg.get("role")
        if role not in ROLES:
            shown = short(role, 20) if isinstance(role, str) else type(role).__name__
            out.problems.append(("unknown_role", f"message {i} role '{shown}'"))
            return
        text = _content(msg.get("content"))
        if text is None:
            out.problems.append(("bad_content", f"message {i} ({role}) content is not text"))
            return
        media_or_call = isinstance(msg.get("content"), list) or (
            role == "assistant" and msg.get("tool_calls")
        )
        if not text.strip() and not media_or_call:
            out.problems.append(("empty_content", f"message {i} ({role}) is empty"))
        out.roles.append(role)
        out.contents.append(text)
    _alternation(out)


def _alternation(out: Checked) -> None:
    """system first (optional), then user; user and assistant alternate; tool after assistant."""
    prev = ""
    for i, role in enumerate(out.roles, 1):
        wrong = ""
        if role == "system" and i > 1:
            wrong = "a system message after the first"
        elif role == "user" and prev == "user":
            wrong = "two user messages in a row"
        elif role == "assistant" and prev in ("", "system"):
            wrong = "the assistant speaks before the user"
        elif role == "assistant" and prev == "assistant":
            wrong = "two assistant messages in a row"
        elif role == "tool" and prev not in ("assistant", "tool"):
            wrong = "a tool message not after an assistant message"
        if wrong:
            out.problems.append(("wrong_alternation", f"message {i}: {wrong}"))
            return
        prev = role
    if "assistant" not in out.roles:
        out.problems.append(("no_assistant_turn", "no assistant message to learn from"))
