"""Launch plans: validation of every argument, secrets redacted, the token bound to the plan."""

from __future__ import annotations

from pathlib import Path

import pytest

from oumi_mcp_server.core.errors import ServiceError
from oumi_mcp_server.jobs.plan import LaunchRequest, binding, build_plan
from oumi_mcp_server.jobs.service import JobService


def _req(project: Path, **kw: object) -> LaunchRequest:
    base: dict[str, object] = {
        "command": "train",
        "config": "train.yaml",
        "client_cwd": str(project),
    }
    base.update(kw)
    return LaunchRequest(**base)  # type: ignore[arg-type]


def test_plan_shows_what_will_run(project: Path) -> None:
    built = build_plan(
        _req(
            project,
            overrides={"training.max_steps": 3},
            job_name="my-run_1.a",
            envs={"HF_TOKEN": "hf_abcdefghijklmnopqrstuvwxyz0123", "WANDB_MODE": "offline"},
        )
    )
    p = built.plan
    assert p.argv[1:] == ["train", "-c", str(project / "train.yaml"), "--training.max_steps", "3"]
    assert (
        p.cwd == str(project)
        and p.output_dir == str(project / "out")
        and p.job_name == "my-run_1.a"
    )
    assert p.env["HF_TOKEN"] == "<redacted>" and p.env["WANDB_MODE"] == "offline"
    assert "hf_abc" not in p.model_dump_json()
    assert built.env["HF_TOKEN"].startswith("hf_")  # the job still gets the real value
    assert built.model == "tiny-model" and "skipped" in p.preflight


def test_output_dir_override_wins(project: Path) -> None:
    p = build_plan(_req(project, overrides={"training.output_dir": "/tmp/elsewhere"})).plan
    assert p.output_dir == "/tmp/elsewhere"


@pytest.mark.parametrize("key", ["output", "--output"])
def test_a_judge_plan_shows_the_folder_of_its_output_option(project: Path, key: str) -> None:
    """`oumi judge dataset` writes where its `--output` option says (no config key does)."""
    (project / "judge.yaml").write_text("judge_params:\n  prompt_template: '{response}'\n")
    overrides = {"input": "data/in.jsonl", key: "judged/out.jsonl"}
    p = build_plan(_req(project, command="judge", config="judge.yaml", overrides=overrides)).plan
    assert p.argv[-2:] == ["--output", "judged/out.jsonl"]
    assert p.output_dir == str(project / "judged")
    elsewhere = {"output": "/tmp/judged/out.jsonl"}
    p = build_plan(_req(project, command="judge", config="judge.yaml", overrides=elsewhere)).plan
    assert p.output_dir == "/tmp/judged"


def test_binding_changes_with_anything_that_runs(project: Path) -> None:
    base = binding(build_plan(_req(project)))
    assert base == binding(build_plan(_req(project)))
    assert base != binding(build_plan(_req(project, overrides={"training.max_steps": 2})))
    assert base != binding(build_plan(_req(project, envs={"WANDB_MODE": "offline"})))
    (project / "train.yaml").write_text((project / "train.yaml").read_text() + "# edited\n")
    assert base != binding(build_plan(_req(project)))


@pytest.mark.parametrize(
    ("kw", "code"),
    [
        ({"command": "rm"}, "unknown_command"),
        ({"job_name": "a/b"}, "bad_job_name"),
        ({"job_name": "../up"}, "bad_job_name"),
        ({"job_name": "a..b"}, "bad_job_name"),
        ({"job_name": "x; rm -rf ~"}, "bad_job_name"),
        ({"job_name": "$(id)"}, "bad_job_name"),
        ({"job_name": "a" * 10_240}, "bad_job_name"),
        ({"job_name": ""}, "bad_job_name"),
        ({"envs": {"A": "x\ny"}}, "bad_env"),
        ({"envs": {"A": "x\x00y"}}, "bad_env"),
        ({"envs": {"BAD-NAME": "1"}}, "bad_env"),
        ({"envs": {"A B": "1"}}, "bad_env"),
        ({"overrides": {"training.max_steps": "1 && reboot"}}, "bad_override"),
        ({"config": "missing.yaml"}, "config_not_found"),
        ({"config": "../outside.yaml"}, "path_outside_workspace"),
        ({"client_cwd": "relative/dir"}, "bad_client_cwd"),
        ({"nproc": -1}, "bad_nproc"),
    ],
)
def test_bad_input_is_refused(project: Path, kw: dict[str, object], code: str) -> None:
    with pytest.raises(ServiceError) as err:
        build_plan(_req(project, **kw))
    assert err.value.code == code


def test_bad_yaml_is_refused(project: Path) -> None:
    (project / "bad.yaml").write_text("model: [unclosed\n")
    (project / "list.yaml").write_text("- a\n- b\n")
    for name in ("bad.yaml", "list.yaml"):
        with pytest.raises(ServiceError) as err:
            build_plan(_req(project, config=name))
        assert err.value.code == "bad_config"


def test_offer_then_launch_with_token(project: Path, service: JobService) -> None:
    offer = service.launch(_req(project), None)
    assert not offer.launched and offer.confirm_token and service.store.count() == 0
    launched = service.launch(_req(project), offer.confirm_token)
    assert launched.launched and launched.job is not None
    assert (
        Path(launched.job.run_dir, "config.yaml").read_text()
        == (project / "train.yaml").read_text()
    )


def test_an_alias_bomb_config_is_refused_without_expanding(project: Path) -> None:
    """Plans parse with the same guarded loader as validate_config."""
    lines = ['a0: &a0 ["x", "x", "x", "x", "x", "x", "x", "x", "x"]']
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    (project / "bomb.yaml").write_text("\n".join(lines) + "\n")
    with pytest.raises(ServiceError) as err:
        build_plan(_req(project, config="bomb.yaml"), preflight=False)
    assert err.value.code == "bad_config" and "alias" in err.value.message.lower()


@pytest.mark.parametrize(
    "name",
    [
        "PYTHONPATH",
        "PYTHONSTARTUP",
        "PYTHONHOME",
        "PYTHONWARNINGS",
        "PYTHONUSERBASE",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "DYLD_INSERT_LIBRARIES",
        "PATH",
        "HOME",
        "BASH_ENV",
        "ENV",
        "SHELL",
        "IFS",
        "PERL5LIB",
        "PERL5OPT",
        "NODE_OPTIONS",
        "RUBYOPT",
        "JAVA_TOOL_OPTIONS",
        "GCONV_PATH",
        "GLIBC_TUNABLES",
        "BASH_FUNC_x%%",
        "HF_MODULES_CACHE",
        "TRITON_CACHE_DIR",
        "OUMI_EXTRA_DEPS_FILE",
        "MY_OWN_THING",
    ],
)
def test_envs_that_change_what_runs_are_refused_naming_them(project: Path, name: str) -> None:
    with pytest.raises(ServiceError) as err:
        build_plan(_req(project, envs={name: "/tmp/anything"}))
    assert err.value.code in ("env_not_allowed", "bad_env"), err.value
    assert name[:60] in err.value.message or err.value.code == "bad_env"


def test_the_person_can_allow_their_own_variables_but_never_a_loader_one(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OUMI_MCP_ALLOWED_ENVS", "MY_APP_*,PYTHONPATH,OUMI_EXTRA_DEPS_FILE")
    assert build_plan(_req(project, envs={"MY_APP_MODE": "x"})).env["MY_APP_MODE"] == "x"
    with pytest.raises(ServiceError) as err:
        build_plan(_req(project, envs={"PYTHONPATH": "/tmp/evil"}))
    assert err.value.code == "env_not_allowed" and "changes what runs" in err.value.message
    with pytest.raises(ServiceError) as err:
        build_plan(_req(project, envs={"OUMI_EXTRA_DEPS_FILE": "/tmp/evil.txt"}))
    assert err.value.code == "env_not_allowed" and "changes what runs" in err.value.message


def test_the_plan_shows_a_hash_like_value_in_full(project: Path) -> None:
    """Redaction is by name: a 40-character hash folder is shown, so the person sees it."""
    folder = "/tmp/" + "0123456789abcdef" * 2 + "01234567"
    plan = build_plan(_req(project, envs={"HF_HUB_CACHE": folder})).plan
    assert plan.env["HF_HUB_CACHE"] == folder


def test_trust_remote_code_is_config_only(project: Path) -> None:
    with pytest.raises(ServiceError) as err:
        build_plan(_req(project, overrides={"model.trust_remote_code": True}))
    assert err.value.code == "override_not_allowed"
