"""The index of the installed oumi equals what oumi itself says once imported: every config
class's fields (order, required or not), every enum's members, every registered name, every CLI
command. Read with ast; checked here against the real thing."""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any

import pytest

from oumi_mcp_server.oumi_index import cache

pytestmark = pytest.mark.oumi


def _real(qualname: str) -> Any:
    module, _, name = qualname.rpartition(".")
    return getattr(importlib.import_module(module), name)


def test_fields_and_enums_match_the_classes() -> None:
    from omegaconf import MISSING

    index = cache.schema()
    checked = 0
    for q, rec in index.classes.items():
        cls = _real(q)
        if rec["kind"] == "dataclass":
            real = [f for f in dataclasses.fields(cls) if f.init]
            assert [f.name for f in real] == list(index.fields(q)), q
            for f in real:
                required = f.default in (dataclasses.MISSING, MISSING) and (
                    f.default_factory is dataclasses.MISSING
                )
                assert index.fields(q)[f.name]["required"] == required, (q, f.name)
        elif rec["kind"] == "enum":
            assert [m["name"] for m in rec["members"]] == list(cls.__members__), q
        checked += 1
    assert checked >= 100


def test_kinds_are_the_classes_oumis_cli_loads() -> None:
    import oumi.core.configs as configs
    from oumi.analyze.config import TypedAnalyzeConfig

    index = cache.schema()
    assert _real(index.kind_class("training")) is configs.TrainingConfig
    assert _real(index.kind_class("job")) is configs.JobConfig
    assert _real(index.kind_class("analyze")) is TypedAnalyzeConfig


TEST_ONLY = frozenset({"fake-cloud"})


def test_registries_match_oumis_registry() -> None:
    from oumi.core.registry import REGISTRY, RegistryType

    index = cache.schema()
    for entries in index.doc["registries"].values():  # oumi imports some of them lazily
        for module in {e["target"].rpartition(".")[0] for e in entries}:
            importlib.import_module(module)
    for kind, rtype in (
        ("dataset", RegistryType.DATASET),
        ("model", RegistryType.MODEL),
        ("evaluation_function", RegistryType.EVALUATION_FUNCTION),
        ("sample_analyzer", RegistryType.SAMPLE_ANALYZER),
        ("reward_function", RegistryType.REWARD_FUNCTION),
        ("cloud", RegistryType.CLOUD),
    ):
        # Clouds a test registered in this process (tests/clusters/fake_cloud.py) are not oumi's.
        real = {name.lower() for name in REGISTRY.get_all(rtype)} - TEST_ONLY
        ours = {name.lower() for name in index.registry_names(kind)}
        assert ours == real, (kind, sorted(real ^ ours)[:10])


def test_cli_commands_match_the_typer_app() -> None:
    from oumi.cli.main import get_app

    def names(app: Any, prefix: str = "") -> set[str]:
        out = {
            f"{prefix}{c.name or c.callback.__name__.replace('_', '-')}"
            for c in app.registered_commands
        }
        for group in app.registered_groups:
            sub = names(group.typer_instance, f"{prefix}{group.name} ")
            out |= sub or {f"{prefix}{group.name}"}  # `oumi analyze`: the group's own callback
        return out

    index = cache.schema()
    assert {c["command"] for c in index.doc["cli"]} == names(get_app())
