"""oumi argv building: commands, overrides as argv elements, torchrun; hostile input refused."""

from __future__ import annotations

import pytest

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs import commands


@pytest.fixture(autouse=True)
def _oumi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(commands.OUMI_BIN_ENV, "/opt/oumi")


@pytest.mark.parametrize(
    ("command", "words"),
    [
        ("train", ["train"]),
        ("evaluate", ["evaluate"]),
        ("eval", ["evaluate"]),
        ("infer", ["infer"]),
        ("synth", ["synth"]),
        ("analyze", ["analyze"]),
        ("judge", ["judge", "dataset"]),
        ("quantize", ["quantize"]),
        ("tune", ["tune"]),
    ],
)
def test_every_command(command: str, words: list[str]) -> None:
    assert commands.build_argv(command, "c.yaml", None) == ["/opt/oumi", *words, "-c", "c.yaml"]


def test_overrides_become_separate_argv_elements() -> None:
    argv = commands.build_argv(
        "train",
        "c.yaml",
        {
            "training.max_steps": 10,
            "training.learning_rate": 1e-4,
            "training.use_peft": True,
            "data.train.datasets.0.dataset_name": "my data",
            "training.seed": None,
            "training.lr": "-0.5",
        },
    )
    assert argv[4:] == [
        "--training.max_steps",
        "10",
        "--training.learning_rate",
        "0.0001",
        "--training.use_peft",
        "true",
        "--data.train.datasets.0.dataset_name",
        "my data",
        "--training.seed",
        "null",
        "--training.lr",
        "-0.5",
    ]


def test_distributed_uses_torchrun() -> None:
    argv = commands.build_argv("train", "c.yaml", None, nproc=4)
    assert argv == ["/opt/oumi", "distributed", "torchrun", "-m", "oumi", "train", "-c", "c.yaml"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"training.max_steps; rm -rf ~": 1},
        {"training.max_steps": "1; rm -rf ~"},
        {"training.max_steps": "$(reboot)"},
        {"training.max_steps": "`id`"},
        {"training.output_dir": "a\nb"},
        {"training.output_dir": "a\x00b"},
        {"training.output_dir": "x | tee"},
        {"training.x": "--config=/etc/passwd"},
        {"-c": "/etc/passwd"},
        {"training..x": 1},
        {"": 1},
        {"training.x": "y" * 5000},
        {"training.x": ["a", "b"]},
    ],
)
def test_hostile_overrides_refused(overrides: dict[str, object]) -> None:
    with pytest.raises(ServiceError) as err:
        commands.build_argv("train", "c.yaml", overrides)  # type: ignore[arg-type]
    assert err.value.code == "bad_override"


def test_unknown_command_and_bad_nproc() -> None:
    for bad in ("rm", "launch", "train; ls", ""):
        with pytest.raises(ServiceError) as err:
            commands.build_argv(bad, "c.yaml", None)
        assert err.value.code == "unknown_command"
    for command, nproc in (("train", 0), ("train", 10_000), ("synth", 2)):
        with pytest.raises(ServiceError) as err:
            commands.build_argv(command, "c.yaml", None, nproc)
        assert err.value.code == "bad_nproc"


def test_a_key_given_with_and_without_dashes_is_refused() -> None:
    """Both reached the command line and oumi ran only the last value the plan showed."""
    with pytest.raises(ServiceError) as err:
        commands.override_args({"training.max_steps": 1, "--training.max_steps": 2})
    assert err.value.code == "bad_override" and "twice" in err.value.message
