"""Loading: path vs inline, size and binary refusals, alias bombs, escapes, line/column."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import pytest

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.preflight.loading import (
    MAX_CONFIG_BYTES,
    ConfigLoadError,
    is_inline_yaml,
    load_config,
)

from .conftest import snapshot
from .test_yaml_guard import laughs


def _code(config: str, cwd: Path) -> ConfigLoadError:
    with pytest.raises(ConfigLoadError) as info:
        load_config(config, str(cwd))
    return info.value


def test_inline_vs_path() -> None:
    assert is_inline_yaml("model:\n  model_name: x\n")
    assert is_inline_yaml("model: {model_name: x}")
    assert not is_inline_yaml("configs/train.yaml")
    assert not is_inline_yaml("/abs/train.yaml")


def test_relative_path_resolves_against_client_cwd(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "train.yaml").write_text("training:\n  max_steps: 3\n")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # the server's cwd must not matter
    loaded, _ = load_config("train.yaml", str(tmp_path))
    assert loaded.file == tmp_path / "train.yaml"
    assert loaded.location(("training", "max_steps")).line == 2


def test_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("model:\n  model_name: x\n training: [1, 2\n")
    f = _code("bad.yaml", tmp_path).finding
    assert f.code == "yaml_syntax"
    assert f.location and f.location.line == 3 and f.location.column is not None


def test_alias_bomb_refused(tmp_path: Path) -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    f = _code("\n".join(lines) + "\n", tmp_path).finding
    assert f.code == "yaml_alias_bomb"


def test_large_file_refused_before_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)  # sparse: refused by its size, never read
    f = _code("big.yaml", tmp_path).finding
    assert f.code == "config_too_large" and str(MAX_CONFIG_BYTES)[:1] in f.message


def test_binary_file_refused(tmp_path: Path) -> None:
    (tmp_path / "model.bin").write_bytes(bytes(range(256)) * 10)
    assert _code("model.bin", tmp_path).finding.code == "config_binary"
    (tmp_path / "latin.yaml").write_bytes(b"a: \xff\xfe\n")
    assert _code("latin.yaml", tmp_path).finding.code == "config_binary"


def test_path_outside_client_cwd_via_dotdot_and_symlink(tmp_path: Path) -> None:
    cwd = tmp_path / "project"
    cwd.mkdir()
    secret = tmp_path / "outside.yaml"
    secret.write_text("training:\n  max_steps: 1\n")
    assert _code("../outside.yaml", cwd).finding.code == "path_outside_workspace"
    os.symlink(secret, cwd / "link.yaml")
    assert _code("link.yaml", cwd).finding.code == "path_outside_workspace"


def test_missing_empty_and_scalar_configs(tmp_path: Path) -> None:
    assert _code("nope.yaml", tmp_path).finding.code == "config_not_found"
    (tmp_path / "empty.yaml").write_text("# nothing\n")
    assert _code("empty.yaml", tmp_path).finding.code == "config_empty"
    assert _code("- a\n- b\n", tmp_path).finding.code == "config_not_mapping"


def test_duplicate_key_is_a_warning(tmp_path: Path) -> None:
    _, warnings = load_config("training:\n  max_steps: 1\n  max_steps: 2\n", str(tmp_path))
    assert [w.code for w in warnings] == ["duplicate_key"]
    assert warnings[0].location and warnings[0].location.line == 3


def test_bad_client_cwd_is_a_service_error(tmp_path: Path) -> None:
    with pytest.raises(ServiceError) as info:
        load_config("a: 1\n", "relative/dir")
    assert info.value.code == "bad_client_cwd"


def test_loading_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text("a: [\n")
    before = snapshot(tmp_path)
    for cfg in ("bad.yaml", "missing.yaml", "a: 1\n"):
        with contextlib.suppress(ConfigLoadError):
            load_config(cfg, str(tmp_path))
    assert snapshot(tmp_path) == before


def shadow_lines(count: int = 12) -> str:
    """/etc/shadow-like content: each line ends in ':' so YAML reads it as a key."""
    return "".join(
        f"user{i}:$6$s4lt{i}$H4sh{i}{'x' * 60}:19000:0:99999:7:::\n" for i in range(count)
    )


def test_non_oumi_mapping_is_refused_without_quoting_it(tmp_path: Path) -> None:
    (tmp_path / "shadow").write_text(shadow_lines())
    f = _code(str(tmp_path / "shadow"), tmp_path).finding
    assert f.code == "not_oumi_config" and "$6$" not in f.model_dump_json()
    assert _code("a: 1\nb: 2\n", tmp_path).finding.code == "not_oumi_config"
    f = _code("just some text\n", tmp_path).finding
    assert f.code == "config_not_mapping" and "just" not in f.message
    loaded, _ = load_config("model: {}\n" + shadow_lines(2), str(tmp_path))
    assert "model" in loaded.data  # one Oumi key: validation reports the rest, quoted short


@pytest.mark.parametrize(
    ("name", "content", "code"),
    [
        ("ctrl.yaml", "model:\n  model_name: a\x01b\n", "yaml_control_character"),
        ("int.yaml", "training:\n  max_steps: " + "7" * 5000 + "\n", "yaml_bad_value"),
        ("date.yaml", "training:\n  when: 2024-13-45\n", "yaml_bad_value"),
        ("bomb.yaml", None, "yaml_alias_bomb"),
    ],
)
def test_hostile_yaml_is_a_finding_with_a_line(
    tmp_path: Path, name: str, content: str | None, code: str
) -> None:
    (tmp_path / name).write_text(content if content is not None else laughs())
    f = _code(name, tmp_path).finding
    assert f.code == code and f.location and f.location.line, f
    assert "7" * 100 not in f.message


def test_special_files_are_never_read(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.yaml")
    assert _code("pipe.yaml", tmp_path).finding.code == "config_not_a_file"  # no hang
    assert _code("/dev/zero", tmp_path).finding.code == "config_not_a_file"
    assert _code("/proc/self/mem", tmp_path).finding.code == "config_unreadable"
    f = _code("a" * 300 + ".yaml", tmp_path).finding
    assert f.code == "path_too_long" and "a" * 200 not in f.model_dump_json()
