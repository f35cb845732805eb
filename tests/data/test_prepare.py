"""prepare_dataset: rows kept per step, a reproducible split, nothing overwritten or escaped."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from data.support import chat, write_jsonl
from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.data.prepare import Filters, prepare_dataset


def _read(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
def inputs(tmp_path: Path) -> list[str]:
    a = [chat(f"hello {i}", "fine thanks") for i in range(10)] + ["{bad\n", "\n"]
    b = [chat("hello 0", "fine thanks"), chat("as an AI I cannot", "no")]
    b.append({"messages": [{"role": "system", "content": "s"}, *chat("q", "a")["messages"]]})
    write_jsonl(tmp_path / "a.jsonl", a)
    write_jsonl(tmp_path / "b.jsonl", b)
    return ["a.jsonl", "b.jsonl"]


def test_steps_report_what_each_kept(tmp_path: Path, inputs: list[str]) -> None:
    f = Filters(roles=("user", "assistant"), regex="(?i)as an ai", validation_fraction=0.25, seed=3)
    a = prepare_dataset(inputs, "out", str(tmp_path), f)
    steps = [(s.step, s.rows, s.dropped) for s in a.retention]
    assert steps == [
        ("read", 14, 0),
        ("valid", 13, 1),
        ("roles", 12, 1),
        ("regex", 11, 1),
        ("dedupe", 10, 1),
    ]
    assert a.files == {"train.jsonl": 8, "validation.jsonl": 2}
    assert [i.at for i in a.issues] == [["a.jsonl line 11"]]
    train, val = (
        _read(tmp_path / "out" / "train.jsonl"),
        _read(tmp_path / "out" / "validation.jsonl"),
    )
    assert len({json.dumps(r) for r in train + val}) == 10
    again = prepare_dataset(inputs, "out2", str(tmp_path), f)
    assert again.files == a.files
    assert _read(tmp_path / "out2" / "validation.jsonl") == val


def test_regex_keeps_and_token_filters(
    tmp_path: Path, inputs: list[str], tokenizer_dir: Path
) -> None:
    keep = prepare_dataset(
        inputs, "k", str(tmp_path), Filters(regex="hello [0-4]$", regex_keeps=True)
    )
    assert keep.files == {"train.jsonl": 5}
    # "user: hello 3\nassistant: fine thanks" is 8 words and colons; the system row 9.
    short = prepare_dataset(inputs, "s", str(tmp_path), Filters(max_tokens=8), str(tokenizer_dir))
    assert (short.retention[-2].step, short.retention[-2].rows) == ("tokens", 11)
    assert short.files == {"train.jsonl": 10} and short.counter == str(tokenizer_dir)
    long = prepare_dataset(inputs, "l", str(tmp_path), Filters(min_tokens=9), str(tokenizer_dir))
    assert long.files == {"train.jsonl": 2}


@pytest.mark.parametrize(
    ("output", "filters", "code"),
    [
        ("a.jsonl", Filters(), "output_exists"),
        ("/tmp", Filters(), "output_outside_workspace"),
        ("../escape", Filters(), "output_outside_workspace"),
        (".", Filters(), "output_outside_workspace"),
        ("o", Filters(regex="(a)\\1"), "bad_regex"),
        ("o", Filters(min_tokens=5, max_tokens=2), "bad_filters"),
        ("o", Filters(roles=("robot",)), "bad_filters"),
        ("o", Filters(validation_fraction=0.9), "bad_filters"),
        ("o", Filters(regex="hello|AI|q", regex_keeps=False), "nothing_left"),
    ],
)
def test_refusals_write_nothing(
    tmp_path: Path, inputs: list[str], output: str, filters: Filters, code: str
) -> None:
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(ServiceError) as err:
        prepare_dataset(inputs, output, str(tmp_path), filters)
    assert err.value.code == code
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_the_answer_stays_under_8_kb(tmp_path: Path) -> None:
    names = []
    for i in range(8):
        names.append(f"{i}{'n' * 200}.jsonl")
        bad: list[object] = [{"messages": [{"role": r, "content": ""}]} for r in ("user", "x")]
        bad += ["{\n", {"messages": 1}, {"messages": [1]}, {"messages": [{"role": "user"}]}]
        bad += [{"messages": [{"role": "user", "content": "q"}]}, chat("q", "a")["messages"][::-1]]
        bad = [{"messages": b} if isinstance(b, list) else b for b in bad]
        write_jsonl(tmp_path / names[-1], [chat("q", "a"), *bad, chat("q", "a")])
    a = prepare_dataset(names, "o", str(tmp_path), Filters())
    assert len(a.model_dump_json()) <= 8192


def test_a_failed_write_leaves_no_folder(
    tmp_path: Path, inputs: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def full(*args: object, **kwargs: object) -> str:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(json, "dumps", full)
    with pytest.raises(OSError):
        prepare_dataset(inputs, "o", str(tmp_path), Filters(dedupe=False))
    assert not (tmp_path / "o").exists()


def test_merging_formats_is_refused(tmp_path: Path, inputs: list[str]) -> None:
    write_jsonl(tmp_path / "t.jsonl", [{"text": "plain"}])
    with pytest.raises(ServiceError) as err:
        prepare_dataset([*inputs, "t.jsonl"], "o", str(tmp_path), Filters())
    assert err.value.code == "mixed_formats"
    assert not (tmp_path / "o").exists()
