"""What assistants see, checked in: any change to the listed surface is a reviewed diff.

Each MCP listing (tools with their descriptions, schemas, annotations and _meta; resources,
resource templates, prompts) is compared with its JSON file under tests/server/snapshots/.
After an intended change, rewrite the files and commit them with the change:
    UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/server/test_tools_snapshot.py
"""

from __future__ import annotations

import difflib
import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from oumi_mcp_server.server.app import build_server

SNAPSHOTS = Path(__file__).resolve().parent / "snapshots"
# MCP method -> (snapshot file, the result's list field, the client call that fetches one page).
LISTINGS: dict[str, tuple[str, str, Callable[[Client, str | None], Awaitable[Any]]]] = {
    "tools/list": ("tools_list.json", "tools", lambda c, cur: c.list_tools(cursor=cur)),
    "resources/list": (
        "resources_list.json",
        "resources",
        lambda c, cur: c.list_resources(cursor=cur),
    ),
    "resources/templates/list": (
        "resource_templates_list.json",
        "resourceTemplates",
        lambda c, cur: c.list_resource_templates(cursor=cur),
    ),
    "prompts/list": ("prompts_list.json", "prompts", lambda c, cur: c.list_prompts(cursor=cur)),
}


async def live_listing(method: str) -> dict[str, Any]:
    """The listing as JSON, every page's items in one list (the cursor itself is dropped)."""
    _, field, fetch = LISTINGS[method]
    listing: dict[str, Any] = {}
    items: list[Any] = []
    cursor: str | None = None
    async with Client(build_server()) as client:
        while True:
            page = (await fetch(client, cursor)).model_dump(
                mode="json", by_alias=True, exclude_none=True
            )
            cursor = page.pop("nextCursor", None)
            items += page.pop(field)
            listing = listing or page
            if cursor is None:
                break
    return {**listing, field: items}


def render(listing: dict[str, Any]) -> str:
    return json.dumps(listing, indent=2, ensure_ascii=False) + "\n"


def snapshot_mismatch(name: str, expected: str, actual: str) -> str | None:
    """None when equal, else a unified diff from the committed file to the live listing."""
    if expected == actual:
        return None
    diff = difflib.unified_diff(
        expected.splitlines(keepends=True),
        actual.splitlines(keepends=True),
        fromfile=f"tests/server/snapshots/{name} (committed)",
        tofile=f"{name} (live server)",
    )
    return "".join(diff) + (
        "\nThe MCP surface changed. If that is intended, rewrite the snapshots with "
        "`UPDATE_SNAPSHOTS=1 .venv/bin/pytest tests/server/test_tools_snapshot.py` and commit them."
    )


@pytest.mark.anyio
@pytest.mark.parametrize("method", list(LISTINGS))
async def test_listing_matches_the_snapshot(method: str) -> None:
    name = LISTINGS[method][0]
    path = SNAPSHOTS / name
    actual = render(await live_listing(method))
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        SNAPSHOTS.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8")
        return
    if not path.is_file():
        pytest.fail(f"no snapshot {path}: create it with UPDATE_SNAPSHOTS=1", pytrace=False)
    problem = snapshot_mismatch(name, path.read_text(encoding="utf-8"), actual)
    if problem:
        pytest.fail(problem, pytrace=False)


def test_a_changed_description_shows_as_a_readable_diff() -> None:
    before = render({"tools": [{"name": "t", "description": "Old words."}]})
    after = render({"tools": [{"name": "t", "description": "New words."}]})
    assert snapshot_mismatch("x.json", before, before) is None
    problem = snapshot_mismatch("x.json", before, after)
    assert problem is not None
    assert '-      "description": "Old words."' in problem
    assert '+      "description": "New words."' in problem
    assert "UPDATE_SNAPSHOTS=1" in problem
