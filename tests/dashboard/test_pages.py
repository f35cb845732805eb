"""The new pages and endpoints without a browser: tool timings (the numbers `stats` prints), the
favicon, the compare JSON (compare_runs' own answer), refusals with a structured error, and a run
without evaluation results."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from dashboard.fakeruns import HOSTILE, finished_run, suite
from oumi_mcp_server.core.http_token import HttpToken
from oumi_mcp_server.core.tool_stats import stats_dir
from oumi_mcp_server.dashboard.app import build_app
from oumi_mcp_server.experiments.compare import compare_runs
from oumi_mcp_server.wiring import job_service

BASE = "http://127.0.0.1:8766"
TOKEN = HttpToken("dashboard-pages-token-" + "0" * 24, "/state/http.token")


@pytest.fixture
def client() -> Iterator[TestClient]:
    auth = {"Authorization": f"Bearer {TOKEN.value}"}
    with TestClient(build_app(token=TOKEN), base_url=BASE, headers=auth) as c:
        yield c


def test_timings_panel_shows_what_stats_merges(client: TestClient) -> None:
    folder = stats_dir()
    folder.mkdir(parents=True)
    tools = {
        "list_jobs": {"calls": 4, "errors": 1, "max_ms": 30.0, "samples_ms": [1.0, 2.0, 3.0, 30.0]},
        HOSTILE: {"calls": 1, "errors": 0, "max_ms": 5.0, "samples_ms": [5.0]},
    }
    (folder / "1-1.json").write_text(json.dumps({"tools": tools}))
    (folder / "2-2.json").write_text("{not json")
    rows = {r["tool"]: r for r in client.get("/api/timings").json()["tools"]}
    assert rows["list_jobs"] == {
        "tool": "list_jobs",
        "calls": 4,
        "errors": 1,
        "p50_ms": 2.0,
        "p95_ms": 30.0,
        "max_ms": 30.0,
    }
    page = client.get("/").text
    assert 'id="timings"' in page and "list_jobs" in page and HOSTILE not in page
    assert '<td class="num bad">1</td>' in page


def test_favicon_is_served(client: TestClient) -> None:
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.text.startswith("<svg") and 'rel="icon" href="/favicon.ico"' in client.get("/").text


def test_compare_json_is_compare_runs_answer(client: TestClient, tmp_path: Path) -> None:
    svc = job_service()
    ids = [finished_run(svc, tmp_path, f"r{i}", lr).id for i, lr in enumerate((1e-4, 1e-3))]
    body = client.get("/api/compare", params={"ids": ",".join(ids)}).json()
    expected = compare_runs(svc, ids).model_dump(mode="json")
    for key in ("runs", "config_diff", "metrics", "baseline"):
        assert body["comparison"][key] == expected[key], key
    assert set(body["curves"]) >= {"loss", "learning_rate", "grad_norm", "eval_loss"}
    assert [len(c["points"]) for c in body["curves"]["loss"]] == [12, 12]


def test_refusals_are_structured(client: TestClient, tmp_path: Path) -> None:
    one = client.get("/api/compare", params={"ids": "train-x"})
    assert one.status_code == 400 and one.json()["error"]["code"] == "bad_job_ids"
    many = client.get("/api/compare", params={"ids": ",".join(f"j{i}" for i in range(21))})
    assert many.status_code == 400 and many.json()["error"]["code"] == "bad_job_ids"
    page = client.get("/compare", params={"ids": f"a,{HOSTILE}"})
    assert page.status_code == 404 and "<img" not in page.text
    for path in ("/api/sweeps/sweep-nope", "/sweeps/sweep-nope", "/api/sweeps/..%2Fx"):
        assert client.get(path).status_code == 404, path
    assert client.get("/api/sweeps/sweep-nope").json()["error"]["code"] == "unknown_sweep"


def test_eval_page_of_a_run_without_evaluation(client: TestClient, tmp_path: Path) -> None:
    run = finished_run(job_service(), tmp_path, "plain", 1e-4)
    page = client.get(f"/jobs/{run.id}/eval").text
    assert "No evaluation results" in page and "Final loss" in page
    scored = finished_run(job_service(), tmp_path, "scored-run", 3e-4, suite(0.5))
    assert "by_category" not in client.get(f"/jobs/{scored.id}/eval").text  # shown as categories


@pytest.mark.parametrize(
    "examples",
    [
        "not a list",
        [1, None, "x", {"prompt": {"a": 1}, "pass": "maybe"}],
        [{"prompt": HOSTILE * 50, "expected": [HOSTILE], "got": 5, "pass": 1, "category": None}],
    ],
)
def test_odd_examples_are_skipped_or_shown_as_text(
    client: TestClient, tmp_path: Path, examples: object
) -> None:
    result = suite(0.5)
    result["prompt_suite"]["examples"] = examples
    run = finished_run(job_service(), tmp_path, "odd", 1e-4, result)
    page = client.get(f"/jobs/{run.id}/eval")
    assert page.status_code == 200 and "<img" not in page.text
    assert "arithmetic" in page.text  # the categories still show
