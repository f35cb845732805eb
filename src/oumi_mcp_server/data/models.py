"""What the data tools answer (pydantic: the MCP output schemas)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Issue(BaseModel):
    """One kind of problem: how many rows have it and where the first ones are."""

    kind: str = Field(description="bad_json, missing_messages, unknown_role, empty_content, ...")
    count: int
    at: list[str] = Field(description="First places: 'line 12', or 'byte 1234' when sampled.")
    example: str = Field(description="What is wrong at the first place.")


class TokenStats(BaseModel):
    """Token lengths of the rows (a sample of them on a big file)."""

    counter: str = Field(description="The tokenizer used, or how the estimate is made.")
    exact: bool = Field(description="False: a whitespace/char estimate, not a tokenizer.")
    rows_counted: int
    p50: int
    p90: int
    p99: int
    max: int
    model_max_length: int | None = None
    share_over_max: float | None = Field(
        default=None, description="Share of counted rows longer than model_max_length."
    )


class InspectAnswer(BaseModel):
    """A data set described and checked before a run."""

    path: str
    file_format: str = Field(description="jsonl, json, csv, parquet or hf_dataset.")
    data_format: str = Field(description="chat, prompt_completion, text or unknown.")
    columns: list[str]
    size_bytes: int
    rows: int = Field(description="Rows in the data set (estimated when rows_exact is false).")
    rows_exact: bool
    rows_read: int
    sampled: bool = Field(description="True: only part of the data was read (see sampling).")
    sampling: str
    valid_rows: int = Field(description="Rows read that parse and have the right structure.")
    empty_rows: int
    duplicate_rows: int
    issues: list[Issue]
    roles: dict[str, int] = Field(description="Messages per role (chat data).")
    tokens: TokenStats | None = None
    samples: list[str] = Field(description="A few rows as JSON, truncated.")
    notes: list[str]
    elapsed_ms: int


class Step(BaseModel):
    """Rows left after one step of prepare_dataset."""

    step: str
    rows: int
    dropped: int


class PrepareAnswer(BaseModel):
    """A new data set written from existing ones."""

    output_dir: str
    files: dict[str, int] = Field(description="File written -> rows in it.")
    data_format: str
    retention: list[Step] = Field(description="Rows kept after each step, in order.")
    kept_share: float = Field(description="Rows written / rows read.")
    counter: str = Field(description="How tokens were counted for the token filters.")
    issues: list[Issue] = Field(description="Why rows were dropped as invalid.")
    elapsed_ms: int
