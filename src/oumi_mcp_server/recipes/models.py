"""Answers of the recipe catalog as the MCP tools return them. Every field is always set ("" means
none) and few carry descriptions: the assistant reads every byte of `tools/list`."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class RecipeSummary(BaseModel):
    path: str
    task: str
    model: str
    peft: str = Field(description="lora|qlora|full")
    datasets: list[str]
    description: str
    job: str = Field(description="cloud accelerators")


class SearchAnswer(BaseModel):
    source: str
    total_matches: int
    results: list[RecipeSummary]
    note: str


class ConfigAnswer(RecipeSummary):
    matched: Literal["exact", "best"]
    file: str = Field(description="absolute path")
    family: str
    runs: str = Field(description="recipe a job runs")
    problem: str = Field(description="why partly indexed")
    content: str
    truncated: bool
    other_candidates: list[str]


class CategoriesAnswer(BaseModel):
    source: str
    total: int
    tasks: dict[str, int]
    families: dict[str, int]
    folders: dict[str, int]
    problems: int = Field(description="recipes partly indexed")


class SyncAnswer(BaseModel):
    state: Literal["synced", "up_to_date", "running", "failed", "not_needed"]
    message: str
    ref: str
    files: int
    source: str
    synced_at: str
