"""A sweep's points: the cartesian product of a grid, or N seeded random draws; and its metric's
direction. Pure functions: the same arguments give the same points, so the second call of
run_sweep (with the confirm_token) rebuilds exactly the points the person approved.

Random search: each key draws from `choices` (one of a list) or a range `low`..`high`: uniform,
log-uniform with `log` (low > 0: learning rates) or whole numbers with `integer` (both ends
included); floats are rounded to 4 significant digits (readable and exact as overrides) unless
that leaves the range; draws repeat until N points distinct as oumi reads them (1, 1.0 and "1"
are one value) or the space runs out (fewer points, said in a note). NaN and infinity are refused.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import random
import re
from collections.abc import Mapping, Sequence

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.experiments.sweep_models import Distribution, Mode, RandomSearch, Scalar
from oumi_mcp_server.jobs import commands

MAX_POINTS = 32
MAX_KEYS = 8
MAX_VALUES = 32
MAX_VALUE_CHARS = 160
"""A swept string value: any point (8 keys) then fits get_sweep's 8 KB answer twice (as a point
and as `best`); a longer value goes in the config file or the fixed overrides."""
DRAWS_PER_POINT = 50
LOWER_IS_BETTER = ("loss", "perplexity", "ppl", "error", "wer", "cer", "runtime", "time")
OUTPUT_KEYS = ("output_dir", "output_path")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


def _fail(code: str, message: str, fix: str) -> ServiceError:
    return ServiceError(code, message, fix)


def check_keys(keys: Sequence[str], fixed: Mapping[str, Scalar]) -> None:
    """Swept keys: dotted config paths, at most MAX_KEYS, none also fixed, no output folder."""
    if not keys:
        raise _fail("empty_sweep", "The sweep has no keys.", "Give grid or random.params a key.")
    if len(keys) > MAX_KEYS:
        raise _fail("bad_sweep", f"{len(keys)} swept keys (max {MAX_KEYS}).", "Sweep fewer keys.")
    if len({k.removeprefix("--") for k in keys}) != len(keys):  # 'a' and '--a': oumi keeps one
        raise _fail("sweep_key_conflict", "A key is swept twice ('k' and '--k').", "Keep one.")
    for key in keys:
        bare = key.removeprefix("--")
        commands.override_args({bare: 0})  # same key rules as any override
        if bare.rsplit(".", 1)[-1] in OUTPUT_KEYS:
            raise _fail(
                "bad_sweep_key",
                f"{bare!r} is set per point by the sweep.",
                "Remove it: point i writes to <output_dir>/<sweep_id>/p<i>.",
            )
        if bare in fixed or f"--{bare}" in fixed:
            raise _fail(
                "sweep_key_conflict",
                f"{bare!r} is both swept and fixed in overrides.",
                "Keep it in one of them.",
            )


def grid_points(grid: Mapping[str, Sequence[Scalar]]) -> list[dict[str, Scalar]]:
    for key, values in grid.items():
        if not isinstance(values, list | tuple) or not values or len(values) > MAX_VALUES:
            raise _fail(
                "bad_sweep_values",
                f"grid[{key[:60]!r}] must be a list of 1-{MAX_VALUES} values.",
                "e.g. {'training.learning_rate': [1e-5, 1e-4]}",
            )
        _check_values(key, values)
        if len({meaning(v) for v in values}) != len(values):
            raise _fail(
                "bad_sweep_values",
                f"grid[{key[:60]!r}] repeats a value (1, 1.0 and '1' are one value to oumi).",
                "Drop it.",
            )
    total = math.prod(len(v) for v in grid.values())
    if total > MAX_POINTS:
        raise _fail(
            "too_many_points",
            f"The grid has {total} points (max {MAX_POINTS}).",
            "Use fewer values per key, or random with n <= 32.",
        )
    keys = list(grid)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*grid.values())]


def meaning(value: Scalar) -> tuple[str, str]:
    """What a value is to oumi's config loader: 1, 1.0 and "1" are one number (one point)."""
    if isinstance(value, str) and _NUMBER.fullmatch(value.strip()):
        value = float(value.strip())
    if isinstance(value, int | float) and not isinstance(value, bool):
        with contextlib.suppress(OverflowError):
            return "number", repr(float(value))
    return type(value).__name__, repr(value)


def _check_values(key: str, values: Sequence[Scalar]) -> None:
    if any(isinstance(v, float) and not math.isfinite(v) for v in values):
        raise _fail("bad_sweep_values", f"{key[:60]!r}: NaN or infinity.", "Use finite numbers.")
    if any(isinstance(v, str) and len(v) > MAX_VALUE_CHARS for v in values):
        raise _fail(
            "bad_sweep_values",
            f"{key[:60]!r}: a swept value over {MAX_VALUE_CHARS} characters.",
            "Sweep short values; put long ones in the config file.",
        )


def _round(value: float, lo: float, hi: float) -> float:
    """4 significant digits, unless that leaves [lo, hi] (a range narrower than that)."""
    short = float(f"{value:.4g}")
    return short if lo <= short <= hi else value


def _draw(rng: random.Random, key: str, dist: Distribution) -> Scalar:
    ranged = dist.low is not None and dist.high is not None
    ranged_only = dist.low is not None or dist.high is not None or dist.log or dist.integer
    if (dist.choices is None and not ranged) or (dist.choices is not None and ranged_only):
        raise _fail(
            "bad_sweep_values",
            f"random.params[{key[:60]!r}] needs choices, or low and high (not both).",
            "e.g. {'low': 1e-5, 'high': 1e-3, 'log': true} or {'choices': [4, 8]}",
        )
    if dist.choices is not None:
        if not dist.choices or len(dist.choices) > MAX_VALUES:
            raise _fail("bad_sweep_values", f"1-{MAX_VALUES} choices for {key!r}.", "Fix it.")
        _check_values(key, dist.choices)
        return rng.choice(dist.choices)
    lo, hi = float(dist.low or 0.0), float(dist.high or 0.0)
    _check_range(key, lo, hi, positive=dist.log)
    if dist.integer:
        if dist.log or not (lo.is_integer() and hi.is_integer()):
            raise _fail("bad_sweep_values", f"{key!r}: integer needs whole low/high.", "Fix it.")
        return rng.randint(int(lo), int(hi))
    if dist.log:
        return _round(math.exp(rng.uniform(math.log(lo), math.log(hi))), lo, hi)
    return _round(rng.uniform(lo, hi), lo, hi)


def _check_range(key: str, lo: float, hi: float, *, positive: bool) -> None:
    bad = not math.isfinite(hi - lo) or lo > hi or (positive and lo <= 0)  # hi - lo: no overflow
    if bad:
        need = "0 < low <= high" if positive else "low <= high, finite"
        raise _fail("bad_sweep_values", f"random.params[{key[:60]!r}]: need {need}.", need)


def random_points(spec: RandomSearch) -> tuple[list[dict[str, Scalar]], list[str]]:
    if not 1 <= spec.n <= MAX_POINTS:
        raise _fail(
            "too_many_points", f"random.n must be 1-{MAX_POINTS}, got {spec.n}.", "Pick n <= 32."
        )
    rng = random.Random(spec.seed)  # noqa: S311 - reproducible points, not secrets
    points: list[dict[str, Scalar]] = []
    seen: set[str] = set()
    for _ in range(spec.n * DRAWS_PER_POINT):
        point = {key: _draw(rng, key, dist) for key, dist in spec.params.items()}
        same = repr([meaning(v) for v in point.values()])
        if same not in seen:
            seen.add(same)
            points.append(point)
            if len(points) == spec.n:
                break
    notes = []
    if len(points) < spec.n:
        notes.append(f"Only {len(points)} distinct points exist in this space (asked {spec.n}).")
    return points, notes


def expand(
    grid: Mapping[str, Sequence[Scalar]] | None,
    rand: RandomSearch | None,
    fixed: Mapping[str, Scalar],
) -> tuple[list[dict[str, Scalar]], list[str]]:
    """The points (swept values only) and notes; bad input raises ServiceError."""
    if (grid is None) == (rand is None):
        raise _fail("bad_sweep", "Give exactly one of grid or random.", "e.g. grid={'k': [1, 2]}")
    if grid is not None:
        check_keys(list(grid), fixed)
        points, notes = grid_points(grid), list[str]()
    else:
        assert rand is not None
        check_keys(list(rand.params), fixed)
        points, notes = random_points(rand)
    for point in points:
        commands.override_args({**fixed, **point})  # every value checked as any override
    return points, notes


def default_mode(metric: str) -> Mode:
    """min for loss / perplexity / error-like names, else max (accuracy, scores)."""
    name = metric.lower()
    return "min" if any(word in name for word in LOWER_IS_BETTER) else "max"
