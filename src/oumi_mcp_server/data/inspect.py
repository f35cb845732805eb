"""inspect_dataset: what a data set holds and what is wrong with it, within a time budget."""

from __future__ import annotations

import json
import random
import time
from collections import Counter as Tally

from oumi_mcp_server.core.echo import short, short_path
from oumi_mcp_server.data.jsonl import where
from oumi_mcp_server.data.models import InspectAnswer, TokenStats
from oumi_mcp_server.data.reader import open_rows
from oumi_mcp_server.data.scan import DETECT_ROWS, IssueLog, judged, locate
from oumi_mcp_server.data.tokens import Counter, load_counter, percentile

TIME_BUDGET_S = 2.5
"""Reading and checking stop after this long (then the answer says sampled)."""
TOKEN_BUDGET_S = 0.3
"""Token counting stops after this long (at least one batch is counted)."""
TOKEN_ROWS = 8192
TOKEN_BATCH = 256
SAMPLES = 3
SAMPLE_CHARS = 300
MAX_ANSWER_CHARS = 7_500
MAX_COLUMNS = 30


def inspect_dataset(
    path: str,
    dataset_name: str,
    client_cwd: str,
    tokenizer: str = "",
    max_length: int | None = None,
    split: str = "",
) -> InspectAnswer:
    """Read (or sample) the data, check every row read, and measure token lengths."""
    start = time.monotonic()
    counter = load_counter(tokenizer, client_cwd, max_length)
    target = locate(path, dataset_name, client_cwd, split)
    src, rows = open_rows(target, split)
    fmt, verdicts = judged(rows)
    log = IssueLog()
    texts: list[str] = []
    rng = random.Random(0)  # noqa: S311 -- a reproducible sample, not a secret
    seen: dict[int, tuple[int | None, int | None, int]] = {}
    roles: Tally[str] = Tally()
    columns: dict[str, None] = dict.fromkeys(src.columns)
    read = valid = empty = dupes = row_bytes = 0
    samples: list[str] = []
    notes: list[str] = []
    for v in verdicts:
        read += 1
        row_bytes += len(v.row.key) + 1
        for kind, detail in v.problems:
            log.add(kind, v.row.where(), detail)
        empty += v.row.blank
        if v.row.key:
            place = v.row.place()
            first = seen.setdefault(hash(v.row.key), place)
            if first is not place:
                dupes += 1
                log.add("duplicate_row", v.row.where(), f"same as {where(first)}")
        if v.row.value is not None and read <= DETECT_ROWS and len(columns) < MAX_COLUMNS:
            columns.update(dict.fromkeys(list(v.row.value)[:MAX_COLUMNS]))
        if not v.problems and v.row.value is not None:
            valid += 1
            if v.checked is not None:
                roles.update(v.checked.roles)
                slot = _reservoir_slot(len(texts), valid, rng)
                if slot is not None:
                    texts[slot : slot + 1] = [v.checked.text]
            if len(samples) < SAMPLES:
                samples.append(
                    short(json.dumps(v.row.value, ensure_ascii=False, default=str), SAMPLE_CHARS)
                )
        if read % 1024 == 0 and time.monotonic() - start > TIME_BUDGET_S:
            src.sampled = True
            src.sampling += f"; stopped after {TIME_BUDGET_S:g} s"
            break
    seen_bytes = row_bytes if src.file_format == "jsonl" else src.bytes_read
    rows_total, exact = _row_count(src.total_rows, src.sampled, read - empty, seen_bytes, src.size)
    if fmt == "unknown" and read:
        notes.append("No messages, prompt/completion or text field: rows not checked.")
    if not counter.exact:
        notes.append("Token lengths are estimated: pass tokenizer (the model folder) for counts.")
    answer = InspectAnswer(
        path=short_path(target),
        file_format=src.file_format,
        data_format=fmt,
        columns=[short(c) for c in list(columns)[:MAX_COLUMNS]],
        size_bytes=src.size,
        rows=rows_total,
        rows_exact=exact,
        rows_read=read - empty,
        sampled=src.sampled,
        sampling=src.sampling,
        valid_rows=valid,
        empty_rows=empty,
        duplicate_rows=dupes,
        issues=log.listed(),
        roles=dict(roles),
        tokens=_token_stats(counter, texts, rng),
        samples=samples,
        notes=notes,
        elapsed_ms=0,
    )
    _fit(answer)
    answer.elapsed_ms = int((time.monotonic() - start) * 1000)
    return answer


def _reservoir_slot(kept: int, seen: int, rng: random.Random) -> int | None:
    """Where the `seen`-th text goes in a uniform sample of TOKEN_ROWS (Algorithm R), if at all;
    `kept` is the sample's size so far (a slot equal to it appends)."""
    if kept < TOKEN_ROWS:
        return kept
    slot = rng.randrange(seen)
    return slot if slot < TOKEN_ROWS else None


def _row_count(
    total: int | None, sampled: bool, read: int, row_bytes: int, size: int
) -> tuple[int, bool]:
    """(rows, exact): the known total, else rows read scaled by bytes per row."""
    if total is not None:
        return total, True
    if sampled and row_bytes:
        return round(read * size / row_bytes), False
    return read, not sampled


def _token_stats(counter: Counter, texts: list[str], rng: random.Random) -> TokenStats | None:
    """Token-length percentiles over the sampled texts, in random order until the budget ends."""
    if not texts:
        return None
    rng.shuffle(texts)
    start = time.monotonic()
    lengths: list[int] = []
    for i in range(0, len(texts), TOKEN_BATCH):
        lengths += counter.count(texts[i : i + TOKEN_BATCH])
        if time.monotonic() - start > TOKEN_BUDGET_S:
            break
    lengths.sort()
    limit = counter.model_max_length
    over = sum(n > limit for n in lengths) / len(lengths) if limit else None
    return TokenStats(
        counter=counter.name,
        exact=counter.exact,
        rows_counted=len(lengths),
        p50=percentile(lengths, 50),
        p90=percentile(lengths, 90),
        p99=percentile(lengths, 99),
        max=lengths[-1],
        model_max_length=limit,
        share_over_max=None if over is None else round(over, 4),
    )


def _fit(answer: InspectAnswer) -> None:
    """Shorten the answer to stay under the 8 KB budget: samples first, then places."""
    while len(answer.model_dump_json()) > MAX_ANSWER_CHARS and answer.samples:
        answer.samples.pop()
    for issue in answer.issues:
        if len(answer.model_dump_json()) <= MAX_ANSWER_CHARS:
            break
        del issue.at[1:]
