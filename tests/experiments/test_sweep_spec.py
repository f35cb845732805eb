"""Sweep points: grid and seeded random expansion, caps, refusals, the metric's direction."""

from __future__ import annotations

import math

import pytest
from pydantic import ValidationError

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.experiments.sweep_models import Distribution, RandomSearch
from oumi_mcp_server.experiments.sweep_spec import MAX_POINTS, default_mode, expand


def _codes(fn: object) -> str:
    with pytest.raises(ServiceError) as err:
        fn()  # type: ignore[operator]
    return err.value.code


def test_grid_is_the_cartesian_product_in_key_order() -> None:
    points, notes = expand(
        {"training.learning_rate": [1e-4, 1e-3], "peft.lora_r": [4, 8, 16]}, None, {}
    )
    assert len(points) == 6 and notes == []
    assert points[0] == {"training.learning_rate": 1e-4, "peft.lora_r": 4}
    assert points[-1] == {"training.learning_rate": 1e-3, "peft.lora_r": 16}
    assert len({repr(p) for p in points}) == 6


def test_random_is_seeded_distinct_and_within_its_ranges() -> None:
    spec = RandomSearch(
        n=12,
        seed=7,
        params={
            "training.learning_rate": Distribution(low=1e-5, high=1e-2, log=True),
            "peft.lora_r": Distribution(choices=[4, 8, 16]),
            "training.warmup_ratio": Distribution(low=0.0, high=0.2),
            "training.max_steps": Distribution(low=5, high=9, integer=True),
        },
    )
    first, _ = expand(None, spec, {})
    again, _ = expand(None, spec, {})
    other, _ = expand(None, spec.model_copy(update={"seed": 8}), {})
    assert first == again and first != other
    assert len(first) == 12 and len({repr(p) for p in first}) == 12
    for p in first:
        lr = p["training.learning_rate"]
        assert isinstance(lr, float) and 1e-5 <= lr <= 1e-2
        assert float(f"{lr:.4g}") == lr  # 4 significant digits: exact as an override
        assert p["peft.lora_r"] in (4, 8, 16)
        assert 0.0 <= float(p["training.warmup_ratio"] or 0) <= 0.2
        assert p["training.max_steps"] in range(5, 10)
    logs = [math.log10(float(p["training.learning_rate"] or 1)) for p in first]
    assert max(logs) - min(logs) > 1  # spread over decades, not clustered near the top


def test_random_over_a_small_space_says_it_found_fewer_points() -> None:
    spec = RandomSearch(n=5, params={"peft.lora_r": Distribution(choices=[4, 8])})
    points, notes = expand(None, spec, {})
    assert sorted(p["peft.lora_r"] for p in points) == [4, 8]  # type: ignore[type-var]
    assert notes and "2 distinct" in notes[0]


@pytest.mark.parametrize(
    ("grid", "rand", "fixed", "code"),
    [
        (None, None, {}, "bad_sweep"),
        ({"a": [1]}, RandomSearch(n=1, params={"b": Distribution(choices=[1])}), {}, "bad_sweep"),
        ({}, None, {}, "empty_sweep"),
        (
            {"a": [1, 2], "b": [1, 2], "c": [1, 2], "d": [1, 2, 3, 4, 5]},
            None,
            {},
            "too_many_points",
        ),
        ({"a": list(range(33))}, None, {}, "bad_sweep_values"),
        ({"a": []}, None, {}, "bad_sweep_values"),
        ({"a": [1, 1]}, None, {}, "bad_sweep_values"),
        ({"a": 3}, None, {}, "bad_sweep_values"),
        ({"a": [[1, 2]]}, None, {}, "bad_override"),
        ({"a": ["x; rm -rf /"]}, None, {}, "bad_override"),
        ({"a": ["--help"]}, None, {}, "bad_override"),
        ({"not a key": [1]}, None, {}, "bad_override"),
        ({"model.trust_remote_code": [True]}, None, {}, "override_not_allowed"),
        ({"training.output_dir": ["x"]}, None, {}, "bad_sweep_key"),
        (
            {"training.learning_rate": [1e-4]},
            None,
            {"training.learning_rate": 1},
            "sweep_key_conflict",
        ),
        ({f"k{i}": [1] for i in range(9)}, None, {}, "bad_sweep"),
        ({"training.lr": [1, 2], "--training.lr": [3]}, None, {}, "sweep_key_conflict"),
        (None, RandomSearch(n=33, params={"a": Distribution(choices=[1])}), {}, "too_many_points"),
        (None, RandomSearch(n=0, params={"a": Distribution(choices=[1])}), {}, "too_many_points"),
        (None, RandomSearch(n=2, params={"a": Distribution()}), {}, "bad_sweep_values"),
        (None, RandomSearch(n=2, params={"a": Distribution(low=1)}), {}, "bad_sweep_values"),
        (None, RandomSearch(n=2, params={"a": Distribution(choices=[])}), {}, "bad_sweep_values"),
        (
            None,
            RandomSearch(n=2, params={"a": Distribution(low=0.5, high=3, integer=True)}),
            {},
            "bad_sweep_values",
        ),
        (
            None,
            RandomSearch(n=2, params={"a": Distribution(choices=[1], low=0, high=1)}),
            {},
            "bad_sweep_values",
        ),
        (
            None,
            RandomSearch(n=2, params={"a": Distribution(low=0, high=1, log=True)}),
            {},
            "bad_sweep_values",
        ),
        (
            None,
            RandomSearch(n=2, params={"a": Distribution(low=2, high=1)}),
            {},
            "bad_sweep_values",
        ),
        (
            None,
            RandomSearch(n=2, params={"a": Distribution(low=0, high=math.inf)}),
            {},
            "bad_sweep_values",
        ),
        (
            None,
            RandomSearch(n=2, params={"a": Distribution(low=3, high=1, integer=True)}),
            {},
            "bad_sweep_values",
        ),
    ],
)
def test_bad_sweeps_are_refused_with_a_code(
    grid: dict[str, object] | None,
    rand: RandomSearch | None,
    fixed: dict[str, object],
    code: str,
) -> None:
    assert _codes(lambda: expand(grid, rand, fixed)) == code  # type: ignore[arg-type]


def test_the_cap_allows_exactly_32_points() -> None:
    points, _ = expand({"a": list(range(MAX_POINTS))}, None, {})
    assert len(points) == MAX_POINTS


def test_random_spec_refuses_unknown_distributions() -> None:
    with pytest.raises(ValidationError):
        Distribution.model_validate({"normal": [0, 1]})


@pytest.mark.parametrize(
    ("metric", "mode"),
    [
        ("final_loss", "min"),
        ("best_loss", "min"),
        ("heldout/perplexity", "min"),
        ("eval_loss", "min"),
        ("accuracy", "max"),
        ("prompt_suite/score", "max"),
        ("exact_match", "max"),
    ],
)
def test_default_direction(metric: str, mode: str) -> None:
    assert default_mode(metric) == mode


def _rand(**dist: object) -> RandomSearch:
    return RandomSearch(n=3, params={"a": Distribution.model_validate(dist)})


@pytest.mark.parametrize(
    ("grid", "rand"),
    [
        ({"a": [1, 1.0]}, None),  # one learning rate to oumi: two identical jobs
        ({"a": ["1e-4", 0.0001]}, None),
        ({"a": [2, "2"]}, None),
        ({"a": [math.nan]}, None),
        ({"a": [1, math.inf]}, None),
        (None, _rand(low=-1e308, high=1e308)),  # high - low overflows: every draw inf
        (None, _rand(choices=[math.nan, 1])),
        ({"a": ["x", "y" * 161]}, None),  # a point hidden from a cut plan could be 30 KB
        (None, _rand(choices=["y" * 161])),
        (None, _rand(choices=[4, 8], high=3)),  # a range beside choices: ignored before
        (None, _rand(choices=[4, 8], integer=True)),
        (None, _rand(choices=[4, 8], log=True)),
    ],
)
def test_duplicate_non_finite_and_ambiguous_values_are_refused(
    grid: dict[str, list[object]] | None, rand: RandomSearch | None
) -> None:
    assert _codes(lambda: expand(grid, rand, {})) == "bad_sweep_values"  # type: ignore[arg-type]


def test_random_points_stay_in_a_narrow_range_and_differ_as_oumi_reads_them() -> None:
    narrow, _ = expand(None, _rand(low=1.00001, high=1.00002), {})
    assert len(narrow) == 3 and all(1.00001 <= float(p["a"] or 0) <= 1.00002 for p in narrow)
    same, notes = expand(None, _rand(choices=[1, 1.0, "1"]), {})
    assert len(same) == 1 and "1 distinct" in notes[0]
