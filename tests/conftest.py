"""Suite-wide isolation: every test gets its own HOME, state, cache and an offline oumi env."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from experiment_runs import ExperimentSweep, run_experiment_sweep
from jobs.jobhelpers import kill_jobs
from oumi_mcp_server.core.oumi_env import OFFLINE_ENV
from oumi_mcp_server.demo.assets import TinyAssets, build_tiny_assets
from testsupport import SHARED_CONFIGS

SLOW_MARKERS = ("oumi", "slurm")


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects, so `-m "not slow"` skips these too
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test that runs oumi or needs Slurm is slow as well."""
    for item in items:
        if any(item.get_closest_marker(name) for name in SLOW_MARKERS):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(autouse=True)
def isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """A private HOME, HF_HOME, state and cache dir per test; oumi kept offline and quiet."""
    root = tmp_path_factory.mktemp("env")
    for name, sub in (
        ("HOME", "home"),
        ("HF_HOME", "hf"),
        ("OUMI_MCP_STATE_DIR", "state"),
        ("OUMI_MCP_CACHE_DIR", "cache"),
    ):
        (root / sub).mkdir()
        monkeypatch.setenv(name, str(root / sub))
    for name, value in OFFLINE_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("OUMI_MCP_CONFIGS_DIR", raising=False)
    yield root


@pytest.fixture(scope="session")
def shared_configs() -> Path:
    """The full recipe snapshot beside the repo; tests that need it skip when it is absent."""
    if not SHARED_CONFIGS.is_dir():
        pytest.skip(
            f"needs the recipe snapshot at {SHARED_CONFIGS} (not present in a user's clone)"
        )
    return SHARED_CONFIGS


@pytest.fixture(scope="session")
def tiny_assets(tmp_path_factory: pytest.TempPathFactory) -> TinyAssets:
    """A tiny random Llama, tokenizer, chat JSONL and train/infer configs, built once offline.

    Shared by the session: a test that runs `oumi train` should pass
    `--training.output_dir` (or copy the configs) rather than write into `output_dir`.
    """
    return build_tiny_assets(tmp_path_factory.mktemp("tiny_assets"))


@pytest.fixture(scope="session")
def experiment_sweep(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ExperimentSweep]:
    """ONE real 3-point learning-rate sweep with evaluate-after-train (tests/experiment_runs.py);
    `experiment_sweep.use(monkeypatch)` points a test's services at its jobs."""
    root = tmp_path_factory.mktemp("experiment_sweep")
    try:
        yield run_experiment_sweep(root)
    finally:
        kill_jobs(root / "state")
