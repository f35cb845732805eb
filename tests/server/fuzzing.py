"""Hypothesis strategies built from a tool's own input schema (the checks are in fuzzcheck.py).

Values mix the valid shape (steered by the parameter's name toward inputs that reach deep code)
with boundaries, wrong types, huge and control-character strings, path traversal, extra keys
and missing required keys. Real clouds are never named: they would reach the network and start
SkyPilot's API server. Lone surrogates are never sent: no transport can carry them (the SDK's
client refuses to encode them, its stdio server drops such a request unanswered).
"""

from __future__ import annotations

import json
import math
from typing import Any

from hypothesis import strategies as st

from oumi_mcp_server.clusters.wrap import SKY_CLOUDS, SLURM_CLOUDS
from server.fuzzcheck import MARKER, World

REAL_CLOUDS = SKY_CLOUDS | SLURM_CLOUDS | {"kubernetes", "oci", "ibm", "scp", "vsphere", "ssh"}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=8,
)
BOUNDARY_STRINGS = ["", " ", "\n", "\t", "0", "-1", "null", "true", "{}", "[]", "NaN", "1e400"]
control_strings = st.text(st.characters(max_codepoint=0x1F), min_size=1, max_size=30)
huge_strings = st.builds(
    lambda unit, size: (unit * size)[:size],
    st.sampled_from(["a", "\u00e9", "\x00", "../", "x\n", "\U0001f999", "{", "'", "a: [", "*a "]),
    st.sampled_from([300, 8193, 65_537, 1_048_576]),
)
integers = st.one_of(
    st.integers(-5, 30),
    st.sampled_from(
        [
            *(0, -1, 1, 24, 25, 26, 199, 200, 201, 255, 256, 257, 299, 300, 301, 10_000, 10_001),
            *(999_999, 1_000_000, 1_000_001, 2**31, 2**63 - 1, -(2**63)),
        ]
    ),
    st.integers(),
    st.sampled_from([2**63, -(2**63) - 1, 10**30, 10**4400, -(10**4400)]),
)
numbers = st.one_of(
    integers,
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0.0, -0.0, 5e-324, 1e308, -1e308, math.nan, math.inf, -math.inf, 300.5]),
)


def texts(world: World) -> st.SearchStrategy[str]:
    """Any string: unicode, boundaries, control characters, hostile paths, now and then huge."""
    normal = st.one_of(
        st.text(max_size=40),
        st.sampled_from(BOUNDARY_STRINGS),
        control_strings,
        st.sampled_from(world.paths()),
    )
    return st.one_of(normal, normal, normal, normal, normal, normal, huge_strings)


FAKE_TOKENS = [
    "not-a-token",
    "v1.9999999999.0123456789abcdef." + "0" * 64,
    "v1.0.00.00",
    "v1.\u00b2\u00b3.ab.cd",
    "v1.\u0663\u0663.ab.cd",
    "v1." + "9" * 190 + ".a.b",
    "v1..." + "." * 300,
]
"""Shaped like the server's tokens (`v1.<expiry>.<nonce>.<mac>`) but never issued by it."""
INLINE_YAML = [
    "model:\n  model_name: tiny/model\ntraining:\n  max_steps: 1\n",
    "a: &a [1, 2]\nb: &b [*a, *a, *a, *a]\nc: &c [*b, *b, *b, *b]\nd: [*c, *c, *c, *c]\n",
    "model: " + "[" * 200 + "]" * 200 + "\n",
    "model:\n  model_name: \x07\x1b[31m\n",
    "training:\n  max_steps: " + "9" * 5000 + "\n",
    "training:\n  max_steps: 1e400\n  learning_rate: .nan\n",
    "!!python/object/apply:os.system ['touch /tmp/" + MARKER + "-yaml']\n",
    "data:\n  train:\n    datasets:\n      - dataset_path: ../../etc/shadow\n",
    "- just\n- a list\n",
    "root:x:0:0:root:/root:/bin/bash\n",
    "date: 2024-02-30\nmodel: {model_name: x}\n",
]


def hints(world: World) -> dict[str, st.SearchStrategy[Any]]:
    """Meaningful strings for parameters, by name, so calls get past the first check."""
    fake_tokens = st.sampled_from(FAKE_TOKENS)
    hostile = st.sampled_from(world.paths())
    recipe = st.sampled_from(["recipes/tiny/sft/train.yaml", "tiny", "sft", "train.yaml", "*", "."])
    config = st.one_of(
        st.sampled_from(["train.yaml", "missing.yaml", "data.jsonl", "sub", "link.yaml"]),
        st.sampled_from(INLINE_YAML),
        st.dictionaries(
            st.sampled_from(["model", "training", "data", "x"]), json_values, max_size=3
        ).map(lambda d: json.dumps(d) + "\n"),
        hostile,
    )
    project = st.just(str(world.project))
    return {
        "client_cwd": st.one_of(project, project, project, st.just("project"), hostile),
        "config": config,
        "path": recipe | hostile,
        "job_id": st.sampled_from(["no-such-job", "job-00000000", "../state", "%00"]) | hostile,
        "cloud": st.sampled_from(["local", "fuzzcloud", "LOCAL", "local "]),
        "cluster": st.sampled_from(["no-such-cluster", "c-1", "a;rm -rf ~"]),
        "confirm_token": fake_tokens,
        "dest": st.sampled_from(["out", f"../{MARKER}-dest", f"/tmp/{MARKER}-dest", "."]) | hostile,
        "grep": st.sampled_from(["loss", "(a+)+$", "[", "(?P<x", ".*", "\\", "a{99999}"]),
        "task_type": st.sampled_from(["training", "evaluation", "inference", "job", "TRAINING"]),
        "task": st.sampled_from(["sft", "dpo", "evaluation", "nope"]),
        "query": st.sampled_from(["tiny", "llama 8b lora", "sft tiny model"]),
        "status": st.sampled_from(["running", "completed", "failed", "queued", "bogus"]),
        "cursor": st.sampled_from(["0", "-1", "abc", "9" * 50]),
    }


def _dict_for(name: str, world: World) -> st.SearchStrategy[dict[str, Any]]:
    keys = {
        "envs": ["PYTHONPATH", "LD_PRELOAD", "HF_TOKEN", "PATH", "A=B", "", "\x00", "OK_NAME"],
        "overrides": ["training.max_steps", "model.model_name", "training.output_dir", "a..b", ""],
        "cluster": ["accelerators", "num_nodes", "use_spot", "disk_size", "setup", "file_mounts"],
    }.get(name)
    if keys is None:
        return st.dictionaries(texts(world), json_values, max_size=4)
    values = st.one_of(texts(world), json_values)
    if name == "envs":
        values = st.one_of(texts(world), texts(world), json_values)
    return st.dictionaries(st.sampled_from(keys) | st.text(max_size=12), values, max_size=4)


def value_for(name: str, prop: dict[str, Any], world: World) -> st.SearchStrategy[Any]:
    """Values for one property: its valid shape three times out of four, any JSON otherwise."""
    types = prop.get("type", [])
    types = types if isinstance(types, list) else [types]
    options: list[st.SearchStrategy[Any]] = []
    if "enum" in prop:
        options.append(st.sampled_from(prop["enum"]))
    if "null" in types:
        options.append(st.none())
    if "string" in types:
        hint = hints(world).get(name)
        options += [hint, hint] if hint is not None else []
        options.append(texts(world))
    if "integer" in types:
        options.append(integers)
    if "number" in types:
        options.append(numbers)
    if "boolean" in types:
        options.append(st.booleans())
    if "object" in types:
        options.append(_dict_for(name, world))
    if "array" in types:
        options.append(st.lists(json_values, max_size=5))
    valid = st.one_of(*options) if options else json_values
    return st.one_of(valid, valid, valid, json_values)


def _no_real_cloud(value: Any) -> Any:
    if isinstance(value, str) and value.strip().lower() in REAL_CLOUDS:
        return "fuzzcloud"
    return value


def arguments(schema: dict[str, Any], world: World) -> st.SearchStrategy[dict[str, Any]]:
    """Argument sets for a tool: mostly well-formed, sometimes missing a key or with extras."""
    props: dict[str, Any] = schema.get("properties", {})
    required = [n for n in schema.get("required", []) if n in props]
    per_prop = {n: value_for(n, p, world) for n, p in props.items()}
    base = st.fixed_dictionaries(
        {n: per_prop[n] for n in required},
        optional={n: s for n, s in per_prop.items() if n not in required},
    )
    extra_keys = st.sampled_from(["plan", "consent", "ctx", "__class__", "_meta", ""]) | st.text(
        max_size=12
    )

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        out = dict(draw(base))
        mode = draw(st.integers(0, 9))
        if mode == 0 and required:
            out.pop(draw(st.sampled_from(required)))
        elif mode == 1:
            extras = draw(st.dictionaries(extra_keys, json_values, min_size=1, max_size=3))
            out.update({k: v for k, v in extras.items() if k not in props})
        if "cloud" in out:
            out["cloud"] = _no_real_cloud(out["cloud"])
        return out

    return build()
