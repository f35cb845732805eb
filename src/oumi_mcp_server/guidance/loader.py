"""Find and read the guides in `docs/` (package data, so they ship inside the wheel)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from oumi_mcp_server.core.errors import ServiceError

_PACKAGE = "oumi_mcp_server.guidance"
_FIRST = "workflow"
_NAME = re.compile(r"^[a-z][a-z0-9_]*\Z")


@dataclass(frozen=True)
class GuideInfo:
    name: str
    title: str
    summary: str
    size_bytes: int

    @property
    def uri(self) -> str:
        return f"guidance://{self.name}"


def _docs() -> resources.abc.Traversable:
    return resources.files(_PACKAGE) / "docs"


@cache
def guide_names() -> tuple[str, ...]:
    """Every `docs/<name>.md`, the workflow guide first (it is the entry point)."""
    names = sorted(
        entry.name.removesuffix(".md")
        for entry in _docs().iterdir()
        if entry.name.endswith(".md") and _NAME.match(entry.name.removesuffix(".md"))
    )
    return tuple(sorted(names, key=lambda n: n != _FIRST))


def read_guide(name: str) -> str:
    if name not in guide_names():
        raise ServiceError(
            "unknown_guide",
            f"No guide named {name!r}.",
            f"Use one of: {', '.join(guide_names())}.",
        )
    return (_docs() / f"{name}.md").read_text(encoding="utf-8")


def _describe(name: str, text: str) -> GuideInfo:
    """Title from the `# ` heading; summary = first sentence of the first prose paragraph."""
    lines = [line.strip() for line in text.splitlines()]
    title = next((line.lstrip("# ") for line in lines if line.startswith("# ")), name)
    paragraph: list[str] = []
    for line in lines:
        if line and not line.startswith(("#", "```", "|", "-")):
            paragraph.append(line)
        elif paragraph:
            break
    summary = re.split(r"(?<=\.)\s", " ".join(paragraph), maxsplit=1)[0]
    return GuideInfo(name, title.replace("`", ""), summary, len(text.encode("utf-8")))


@cache
def list_guides() -> tuple[GuideInfo, ...]:
    return tuple(_describe(name, read_guide(name)) for name in guide_names())
