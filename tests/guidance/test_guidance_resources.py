"""The guides reach the assistant as `guidance://` resources and prompts, through a client."""

from __future__ import annotations

import json

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from oumi_mcp_server.guidance.loader import guide_names, read_guide
from oumi_mcp_server.server.app import build_server
from oumi_mcp_server.server.tools_guidance import MAX_ARGUMENT_BYTES


@pytest.mark.anyio
async def test_each_guide_is_a_listed_markdown_resource_with_its_text() -> None:
    async with Client(build_server()) as client:
        listed = {str(r.uri): r for r in (await client.list_resources()).resources}
        for name in guide_names():
            resource = listed[f"guidance://{name}"]
            assert resource.mime_type == "text/markdown"
            assert resource.description
            result = await client.read_resource(f"guidance://{name}")
            assert result.contents[0].text == read_guide(name)


@pytest.mark.anyio
async def test_index_lists_every_guide_and_stays_short() -> None:
    async with Client(build_server()) as client:
        text = (await client.read_resource("guidance://index")).contents[0].text
    for name in guide_names():
        assert f"guidance://{name} " in text
    assert len(text.encode()) < 2048


@pytest.mark.anyio
async def test_unknown_guide_is_refused() -> None:
    async with Client(build_server()) as client:
        with pytest.raises(Exception, match="Unknown resource"):
            await client.read_resource("guidance://nope")


@pytest.mark.anyio
async def test_prompts_embed_the_right_guide() -> None:
    async with Client(build_server()) as client:
        names = {p.name for p in (await client.list_prompts()).prompts}
        assert {"fine_tune", "wrap_up_run", "experiment"} <= names
        started = await client.get_prompt(
            "fine_tune", {"goal": "answer support tickets", "base_model": "Qwen/Qwen3-0.6B"}
        )
        text = started.messages[0].content.text
        assert "answer support tickets" in text and "Qwen/Qwen3-0.6B" in text
        assert read_guide("workflow") in text
        wrap = await client.get_prompt("wrap_up_run", {"job_id": "job-42"})
        assert "job-42" in wrap.messages[0].content.text
        assert "fetch_outputs" in wrap.messages[0].content.text
        loop = await client.get_prompt(
            "experiment", {"question": "does LoRA beat the base model?", "config": "lora.yaml"}
        )
        text = loop.messages[0].content.text
        assert "Question: does LoRA beat the base model?" in text
        assert "Training config: lora.yaml" in text and read_guide("experiment") in text


@pytest.mark.anyio
@pytest.mark.parametrize("unit", ["a", "\x00", '"', "\u00e9", "\U0001f999"])
async def test_every_prompt_with_its_longest_arguments_answers_under_8_kb(unit: str) -> None:
    """Each argument at the limit (a NUL is 6 bytes in JSON, an emoji 4): a longer guide or a
    new argument that breaks the bound fails here."""
    fill = unit * (MAX_ARGUMENT_BYTES // len(json.dumps(unit, ensure_ascii=False).encode()[1:-1]))
    async with Client(build_server()) as client:
        for prompt in (await client.list_prompts()).prompts:
            arguments = {a.name: fill for a in prompt.arguments or []}
            result = await client.get_prompt(prompt.name, arguments)
            size = len(result.model_dump_json(by_alias=True).encode())
            assert size <= 8192, (prompt.name, size)
        too_long = {a.name: fill + unit for a in prompt.arguments or []}
        with pytest.raises(MCPError, match="prompt_argument_too_long"):
            await client.get_prompt(prompt.name, too_long)
