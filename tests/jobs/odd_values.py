"""Hypothesis strategies for what a job may leave in trainer_state.json and metrics jsonl files.

Values are JSON-ish but hostile: NaN and infinities, 5e-324 and ±1e308, strings, nested objects,
booleans, integers past what a float holds and past Python's 4,300-digit int-str limit (written
as raw JSON text, since `json.dumps` cannot), truncated or binary files.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from oumi_mcp_server.jobs.progress import MAX_STEP, METRICS_FILE, TRAINER_STATE


class Raw:
    """A token written into the JSON text as is (`1e400`, a 5,000-digit integer)."""

    def __init__(self, text: str) -> None:
        self.text = text


RAW_TOKENS = ["1e400", "-1e400", "9" * 5000, "-" + "1" * 4400, "1" + "0" * 400, "NaN", "Infinity"]
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([5e-324, -5e-324, 1e308, -1e308, 1.7976931348623157e308, 0.0, -0.0]),
    st.integers(min_value=-(2**80), max_value=2**80),
    st.sampled_from([Raw(t) for t in RAW_TOKENS]),
)
SCALARS = st.one_of(
    NUMBERS,
    st.booleans(),
    st.none(),
    st.text(max_size=12),
    st.sampled_from(["abc", "1.5", "nan", "inf", "-inf", "1e400", "12", " 3 ", "٣", "1_000"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)
KEYS = ["loss", "eval_loss", "step", "global_step", "epoch", "learning_rate"]
ROWS = st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=5)
STATES = st.fixed_dictionaries(
    {},
    optional={
        "global_step": VALUES,
        "max_steps": VALUES,
        "epoch": VALUES,
        "log_history": st.one_of(VALUES, st.lists(st.one_of(ROWS, VALUES), max_size=8)),
    },
)


def dumps(value: Any) -> str:
    """JSON text of `value`, with each Raw token spliced in."""
    raws: list[str] = []

    def encode(v: Any) -> Any:
        if isinstance(v, Raw):
            raws.append(v.text)
            return f"@@RAW{len(raws) - 1}@@"
        if isinstance(v, dict):
            return {k: encode(x) for k, x in v.items()}
        if isinstance(v, list):
            return [encode(x) for x in v]
        return v

    text = json.dumps(encode(value))
    for i, raw in enumerate(raws):
        text = text.replace(f'"@@RAW{i}@@"', raw)
    return text


FILE_TEXT = st.one_of(
    STATES.map(dumps),
    VALUES.map(dumps),
    st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
    STATES.map(dumps).map(lambda t: t[: len(t) // 2]),  # being written
)
JSONL_TEXT = st.lists(st.one_of(ROWS.map(dumps), FILE_TEXT), max_size=8).map("\n".join)


def write_job_files(out: Path, state: str | None, metrics: str | None, checkpoint: bool) -> None:
    """Replace what an earlier example wrote: trainer_state.json (in the output dir or in a
    checkpoint folder) and metrics_rank0000.jsonl; None leaves the file out."""
    (out / "checkpoint-7").mkdir(parents=True, exist_ok=True)
    for old in (out / TRAINER_STATE, out / "checkpoint-7" / TRAINER_STATE, out / METRICS_FILE):
        old.unlink(missing_ok=True)
    state_path = out / "checkpoint-7" / TRAINER_STATE if checkpoint else out / TRAINER_STATE
    for path, text in ((state_path, state), (out / METRICS_FILE, metrics)):
        if text is not None:
            path.write_text(text, encoding="utf-8", errors="surrogatepass")


def assert_sane_number(value: Any, *, integer: bool = False) -> None:
    """None, or a finite number (a step count in 0..MAX_STEP when `integer`)."""
    if value is None:
        return
    if integer:
        assert type(value) is int and 0 <= value <= MAX_STEP, value
    else:
        assert isinstance(value, float | int) and not isinstance(value, bool), value
        assert math.isfinite(value), value
