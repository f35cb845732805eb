"""Every local job gets an OUMI_EXTRA_DEPS_FILE naming the offline evaluation functions' module:
shown in the plan and bound by its token; a deps file the person set is merged in, not lost;
cluster jobs (another machine) get none."""

from __future__ import annotations

from pathlib import Path

import pytest

from jobs.jobhelpers import make_project
from oumi_mcp_server.evaluation import deps
from oumi_mcp_server.evaluation.deps import DEPS_ENV, MODULE, deps_env
from oumi_mcp_server.jobs.plan import LaunchRequest, binding, build_plan


def _lines(env: dict[str, str]) -> list[str]:
    return Path(env[DEPS_ENV]).read_text(encoding="utf-8").splitlines()


def test_default_names_the_module_in_the_state_folder(isolated_env: Path) -> None:
    got = deps_env({}, {})
    assert _lines(got.env) == [str(MODULE)] and MODULE.is_file() and got.note is None
    assert Path(got.env[DEPS_ENV]).parent == isolated_env / "state" / deps.FOLDER
    assert deps_env({}, {}).env == got.env  # same content, same file


@pytest.mark.parametrize("where", ["envs", "inherited"])
def test_the_persons_deps_file_is_merged(tmp_path: Path, where: str) -> None:
    theirs = tmp_path / "mine.txt"
    theirs.write_text(f"# my functions\n/x/my_evals.py\n\n{MODULE}\n", encoding="utf-8")
    env = {DEPS_ENV: str(theirs)}
    got = deps_env(env, {}) if where == "envs" else deps_env({}, env)
    assert _lines(got.env) == [str(MODULE), "# my functions", "/x/my_evals.py"]
    assert got.note is not None and str(theirs) in got.note
    theirs.write_text("/x/other.py\n", encoding="utf-8")
    assert deps_env(env, {}).env != got.env  # an edit of theirs is another file, another token


def test_an_unreadable_deps_file_is_left_alone(tmp_path: Path) -> None:
    got = deps_env({DEPS_ENV: str(tmp_path / "gone.txt")}, {})
    assert got.env == {} and got.note is not None and str(MODULE) in got.note


def test_local_plans_carry_it_and_cluster_plans_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = make_project(tmp_path, monkeypatch)
    req = LaunchRequest(command="train", config="train.yaml", client_cwd=str(project))
    built = build_plan(req)
    assert _lines(built.env) == [str(MODULE)]
    assert built.plan.env[DEPS_ENV] == built.env[DEPS_ENV]  # shown to the person
    assert binding(build_plan(req)) == binding(built)
    remote = build_plan(LaunchRequest(**{**req.__dict__, "cloud": "slurm"}))
    assert DEPS_ENV not in remote.env
    theirs = tmp_path / "mine.txt"
    theirs.write_text("/x/my_evals.py\n", encoding="utf-8")
    monkeypatch.setenv(DEPS_ENV, str(theirs))  # the person's own setting, in the server's env
    merged = build_plan(req)
    assert _lines(merged.env) == [str(MODULE), "/x/my_evals.py"]
    assert any(str(theirs) in n for n in merged.plan.notes)
    assert binding(merged) != binding(built)
