"""The one guarded YAML loader: what plain CSafeLoader would give, or a refusal with a line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from oumi_mcp_server.preflight import yaml_guard
from oumi_mcp_server.preflight.yaml_guard import (
    MAX_EXPANDED_BYTES,
    MAX_EXPANDED_NODES,
    YamlRefused,
    load_yaml,
)


def _refused(text: str) -> YamlRefused:
    with pytest.raises(YamlRefused) as info:
        load_yaml(text)
    assert info.value.fix
    return info.value


def laughs(levels: int = 9, width: int = 9, leaf: str = "lol") -> str:
    lines = [f"a0: &a0 [{', '.join([repr(leaf)] * width)}]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


def test_same_data_as_csafeloader_on_ordinary_yaml() -> None:
    text = (
        "base: &base {lr: 1.0e-4, steps: 10, on: yes, when: 2024-01-31, none: ~}\n"
        "training:\n  <<: *base\n  steps: 20\n  tags: [a, 'b', \"c\"]\n"
        "multi: |\n  line one\n  line two\nset: !!set {x, y}\nbig: 0x7fffffffffffffff\n"
    )
    data, node = load_yaml(text)
    assert data == yaml.load(text, Loader=yaml.CSafeLoader) and node is not None


def test_recipe_snapshot_loads_as_csafeloader_does(shared_configs: Path) -> None:
    for path in sorted(shared_configs.rglob("*.yaml"))[:150]:
        text = path.read_text(encoding="utf-8")
        assert load_yaml(text)[0] == yaml.load(text, Loader=yaml.CSafeLoader), path


def test_nodes_alias_bomb_refused_at_its_line() -> None:
    err = _refused(laughs())
    assert err.code == "yaml_alias_bomb" and err.line is not None and err.line <= 9


def test_bytes_alias_bomb_refused_though_few_nodes() -> None:
    """Under 100 KB, ~4,400 nodes, but 16 MB of text once the aliases are expanded."""
    text = laughs(levels=3, width=16, leaf="x" * 4096) + "model: {model_name: *a2}\n"
    assert len(text) < 100_000
    assert 5 * MAX_EXPANDED_BYTES < 16**3 * 4096 and MAX_EXPANDED_NODES > 16**3 + 16**2 + 16 + 1
    assert _refused(text).code == "yaml_alias_bomb"


def test_merge_key_bomb_refused() -> None:
    lines = ["m0: &m0 {k: v}"]
    lines += [f"m{i}: &m{i} {{<<: [" + ", ".join([f"*m{i - 1}"] * 9) + "]}" for i in range(1, 12)]
    assert _refused("\n".join(lines) + "\n").code == "yaml_alias_bomb"


def test_many_values_without_aliases_refused() -> None:
    text = "data: [" + ", ".join(["1"] * (MAX_EXPANDED_NODES + 10)) + "]\n"
    assert _refused(text).code == "config_too_complex"


def test_recursive_alias_refused() -> None:
    assert _refused("a: &a [1, *a]\n").code == "yaml_recursive_alias"


def test_deadline_is_checked_while_composing() -> None:
    with pytest.raises(YamlRefused) as info:
        load_yaml("a: [1, 2, 3]\n", deadline_s=-1.0)
    assert info.value.code == "yaml_timeout"


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("model:\n  name: a\x01b\n", "yaml_control_character", 2),
        ("a: \x1b[31mred\n", "yaml_control_character", 1),
        ("a: \ud800\n", "yaml_control_character", 1),
        ("training:\n  max_steps: " + "9" * 5000 + "\n", "yaml_bad_value", 2),
        ("training:\n  max_steps: 0x" + "f" * 5000 + "\n", "yaml_bad_value", 2),
        ("when: 2024-13-45\n", "yaml_bad_value", 1),
        ("when: 2023-02-29\n", "yaml_bad_value", 1),
        ("a: 1\n---\nb: 2\n", "yaml_multiple_documents", 2),
        ("a: [1, 2\n", "yaml_syntax", 2),
        ("a: !!python/object:os.system x\n", "yaml_syntax", 1),
        ("? [a, b]\n: 1\n", "yaml_syntax", 1),
        ("a: " + "[" * 100 + "]" * 100 + "\n", "yaml_too_deep", 1),
    ],
)
def test_hostile_values_are_refusals_with_a_line(text: str, code: str, line: int) -> None:
    err = _refused(text)
    assert (err.code, err.line) == (code, line), err


def test_refusals_quote_names_short() -> None:
    secret = "S3cr3t" * 100
    err = _refused(f"a: *{secret}\n")
    assert err.code == "yaml_syntax" and secret[:60] not in err.message
    assert len(err.message) < 200


@pytest.mark.parametrize(
    "hostile",
    ["'[' * 100_000", "'- ' * 100_000 + 'x'", "'? ' * 100_000", "'{a: ' * 100_000"],
)
def test_absurd_nesting_never_crashes_the_process(hostile: str) -> None:
    """libyaml's own composer segfaults past ~30k levels: run in a child to prove ours stops."""
    code = (
        "from oumi_mcp_server.preflight.yaml_guard import YamlRefused, load_yaml\n"
        f"try:\n    load_yaml({hostile})\nexcept YamlRefused as exc:\n    print(exc.code)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-500:]
    assert done.stdout.strip() in ("yaml_too_deep", "yaml_syntax")


def test_limits_are_module_constants() -> None:
    assert yaml_guard.MAX_DEPTH == 64 and yaml_guard.DEADLINE_S > 0
