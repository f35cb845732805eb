"""Read rows from a data file or a saved dataset folder, bounded by bytes and rows.

A JSONL file up to FULL_SCAN_BYTES is read whole (exact line numbers); a bigger one is sampled:
its head (exact line numbers) plus evenly spaced windows (byte offsets), and the row count is
estimated from the bytes per row seen. Other formats stop after MAX_ROWS rows.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from oumi_mcp_server.core.echo import short, short_path
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.core.safe_read import open_regular_file, os_error, read_regular_file
from oumi_mcp_server.data.jsonl import Row, parse_lines

FULL_SCAN_BYTES = 64 * 1024 * 1024
READ_BYTES = 8 * 1024 * 1024
HEAD_BYTES = 4 * 1024 * 1024
WINDOWS = 32
WINDOW_BYTES = 256 * 1024
MAX_LINE_BYTES = 8 * 1024 * 1024
MAX_JSON_BYTES = 256 * 1024 * 1024
MAX_ROWS = 200_000
SUFFIXES = {
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "json",
    ".csv": "csv",
    ".parquet": "parquet",
}


@dataclass
class Source:
    """Rows of one file or folder, with what was read and whether it was all of it."""

    path: Path
    file_format: str
    size: int
    sampled: bool = False
    sampling: str = "read whole"
    total_rows: int | None = None  # exact when known (full scan, parquet metadata)
    bytes_read: int = 0
    columns: list[str] = field(default_factory=list)


def file_format(path: Path) -> str:
    """jsonl, json, csv, parquet or hf_dataset (a folder saved with save_to_disk)."""
    if path.is_dir():
        if (path / "state.json").is_file() or (path / "dataset_dict.json").is_file():
            return "hf_dataset"
        raise ServiceError(
            "not_a_dataset_folder",
            f"{short_path(path)} is a folder without state.json or dataset_dict.json.",
            "Pass a data file (.jsonl, .json, .csv, .parquet) or a folder saved with "
            "Dataset.save_to_disk.",
        )
    fmt = SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        raise ServiceError(
            "unknown_data_format",
            f"{short_path(path)}: cannot tell the format from the suffix '{path.suffix}'.",
            "Use .jsonl, .json, .csv or .parquet (or a save_to_disk folder).",
        )
    return fmt


def open_rows(path: Path, split: str = "", *, sample: bool = True) -> tuple[Source, Iterator[Row]]:
    """The source description and its rows (lazy); `sample` False reads every row."""
    fmt = file_format(path)
    if fmt == "hf_dataset":
        return _arrow_folder(path, split, sample)
    size = _size(path)
    src = Source(path, fmt, size)
    readers = {"jsonl": _jsonl, "json": _json, "csv": _csv, "parquet": _parquet}
    return src, _guarded(readers[fmt](src, sample), path)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError as exc:
        raise os_error(exc, path, "data") from None


def _read(fh: BinaryIO, n: int, path: Path) -> bytes:
    try:
        return fh.read(n)
    except OSError as exc:
        raise os_error(exc, path, "data") from None


def _jsonl(src: Source, sample: bool) -> Iterator[Row]:
    with open_regular_file(src.path, kind="data") as fh:
        if not sample or src.size <= FULL_SCAN_BYTES:
            yield from _jsonl_whole(src, fh)
            return
        src.sampled = True
        src.sampling = (
            f"head {HEAD_BYTES // 1024 // 1024} MB (line numbers) + {WINDOWS} windows of "
            f"{WINDOW_BYTES // 1024} KB spread over the file (byte offsets); rows estimated"
        )
        head = _read(fh, HEAD_BYTES, src.path)
        cut = head.rfind(b"\n") + 1 or len(head)
        src.bytes_read += cut
        rows = list(parse_lines(head[:cut]))
        yield from rows
        index = len(rows) + 1
        step = (src.size - HEAD_BYTES) // WINDOWS
        for k in range(WINDOWS):
            start = HEAD_BYTES + k * step
            fh.seek(start)
            chunk = _read(fh, WINDOW_BYTES, src.path)
            first = chunk.find(b"\n") + 1
            while first and chunk.rfind(b"\n") < first and len(chunk) < MAX_LINE_BYTES:
                more = _read(fh, WINDOW_BYTES, src.path)  # a row longer than the window
                if not more:
                    break
                chunk += more
            last = chunk.rfind(b"\n") + 1
            if not first or last <= first:
                continue
            src.bytes_read += last - first
            for row in parse_lines(
                chunk[first:last], first_line=None, base_offset=start + first, first_index=index
            ):
                index += 1
                yield row


def _jsonl_whole(src: Source, fh: BinaryIO) -> Iterator[Row]:
    line = 1
    rest = b""
    count = 0
    while True:
        block = _read(fh, READ_BYTES, src.path)
        data = rest + block
        cut = data.rfind(b"\n") + 1 if block else len(data)
        for row in parse_lines(data[:cut], first_line=line, first_index=line):
            line += 1
            count += not row.blank
            yield row
        src.bytes_read += cut
        rest = data[cut:]
        if not block:
            break
    src.total_rows = count


def _json(src: Source, sample: bool) -> Iterator[Row]:
    raw = read_regular_file(src.path, MAX_JSON_BYTES, kind="data")
    src.bytes_read = src.size
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError) as exc:
        raise _unreadable(src.path, exc) from None
    items = _json_items(value, src.path)
    src.total_rows = len(items)
    for i, item in enumerate(items, 1):
        if isinstance(item, dict):
            yield Row(i, None, None, item, key=_key(item))
        else:
            yield Row(i, None, None, error=f"a JSON {type(item).__name__}, not an object")


def _json_items(value: Any, path: Path) -> list[Any]:
    if isinstance(value, list):
        return value
    lists = [v for v in value.values() if isinstance(v, list)] if isinstance(value, dict) else []
    if len(lists) != 1:
        raise ServiceError(
            "bad_json_dataset",
            f"{short_path(path)} holds no list of rows.",
            "A .json dataset is a list of objects (or an object holding one such list); "
            "one object per line is .jsonl.",
        )
    return lists[0]


def _key(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str).encode()


def _csv(src: Source, sample: bool) -> Iterator[Row]:
    with open_regular_file(src.path, kind="data") as fh:
        text = io.TextIOWrapper(fh, encoding="utf-8", errors="replace", newline="")
        reader = csv.DictReader(text)
        src.columns = list(reader.fieldnames or [])
        index = 0
        for index, record in enumerate(reader, 1):
            if sample and index > MAX_ROWS:
                src.sampled, src.sampling = True, f"first {MAX_ROWS:,} rows"
                src.bytes_read = fh.tell()  # ahead by a buffer: close enough for an estimate
                return
            value = {k: _cell(v) for k, v in record.items() if k is not None}
            yield Row(index, reader.line_num, None, value, key=_key(value))
        src.bytes_read, src.total_rows = src.size, index


def _cell(text: str | None) -> Any:
    """A CSV cell; a JSON list or object in it (a messages column) is parsed."""
    if text and text[0] in "[{":
        try:
            return json.loads(text)
        except (ValueError, RecursionError):
            return text
    return text


def _batches_rows(src: Source, batches: Iterator[Any], sample: bool) -> Iterator[Row]:
    index = 0
    for batch in batches:
        if not src.columns:
            src.columns = list(batch.schema.names)
        for value in batch.to_pylist():
            index += 1
            if sample and index > MAX_ROWS:
                src.sampled, src.sampling = True, f"first {MAX_ROWS:,} rows"
                return
            yield Row(index, None, None, value, key=_key(value))


def _parquet(src: Source, sample: bool) -> Iterator[Row]:
    import pyarrow.parquet as pq

    with open_regular_file(src.path, kind="data") as fh:
        pf = pq.ParquetFile(fh)
        src.total_rows = pf.metadata.num_rows
        src.columns = list(pf.schema_arrow.names)
        yield from _batches_rows(src, pf.iter_batches(batch_size=4096), sample)
        src.bytes_read = src.size


def _arrow_folder(path: Path, split: str, sample: bool) -> tuple[Source, Iterator[Row]]:
    folder = path
    if (path / "dataset_dict.json").is_file():
        splits = [str(s) for s in _meta(path / "dataset_dict.json").get("splits", [])]
        chosen = split or ("train" if "train" in splits else (splits or [""])[0])
        if chosen not in splits or Path(chosen).name != chosen:
            raise ServiceError(
                "unknown_split",
                f"No split '{short(chosen)}' in {short_path(path)}; it has "
                f"{short(', '.join(splits), 200)}.",
                "Pass one of those as split.",
            )
        folder = path / chosen
    names = [str(f.get("filename")) for f in _meta(folder / "state.json").get("_data_files", [])]
    if any(Path(n).name != n or n.startswith(".") for n in names):
        raise _bad_folder(folder)
    files = [folder / n for n in names]
    src = Source(path, "hf_dataset", sum(_size(f) for f in files))

    def batches() -> Iterator[Any]:
        import pyarrow as pa

        for file in files:
            with open_regular_file(file, kind="data") as fh:
                yield from pa.ipc.open_stream(fh)
                src.bytes_read += _size(file)

    rows = _batches_rows(src, batches(), sample)
    return src, _counted(src, _guarded(rows, path))


def _meta(path: Path) -> dict[str, Any]:
    """A save_to_disk metadata file (state.json, dataset_dict.json) as a dict."""
    try:
        value = json.loads(read_regular_file(path, 1 << 20, kind="data"))
    except (ValueError, RecursionError):
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(f, dict) for f in value.get("_data_files", [])
    ):
        raise _bad_folder(path.parent)
    return value


def _bad_folder(folder: Path) -> ServiceError:
    return ServiceError(
        "not_a_dataset_folder",
        f"{short_path(folder)}: state.json or dataset_dict.json is not what save_to_disk writes.",
        "Save the data set again with save_to_disk, or pass its data files.",
    )


def _guarded(rows: Iterator[Row], path: Path) -> Iterator[Row]:
    """`rows`, with a corrupt file's own error (pyarrow's, csv's types) made a ServiceError."""
    try:
        yield from rows
    except ServiceError:
        raise
    except Exception as exc:  # pyarrow and csv raise their own types on a corrupt file
        raise _unreadable(path, exc) from None


def _counted(src: Source, rows: Iterator[Row]) -> Iterator[Row]:
    count = 0
    for row in rows:
        count += 1
        yield row
    if not src.sampled:
        src.total_rows = count


def _unreadable(path: Path, exc: Exception) -> ServiceError:
    return ServiceError(
        "data_unreadable",
        f"{short_path(path)} cannot be read as {path.suffix or 'arrow'} data: "
        f"{type(exc).__name__}.",
        "Check the file is complete and in the format its name says.",
    )
