"""The dashboard app over the real jobs service: live jobs, loss, bounded logs, pages, guard."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from dashboard.test_loss import write_trainer_state
from jobs.jobhelpers import wait_until
from oumi_mcp_server.core.http_token import HttpToken
from oumi_mcp_server.dashboard import app as dashboard_app
from oumi_mcp_server.jobs.record import JobRecord
from oumi_mcp_server.jobs.service import JobService
from oumi_mcp_server.server.http_guard import COOKIE
from oumi_mcp_server.wiring import job_service as get_service

PY = sys.executable
BASE = "http://127.0.0.1:8766"
TOKEN = HttpToken("dashboard-test-token-" + "0" * 24, "/state/http.token")
AUTH = {"Authorization": f"Bearer {TOKEN.value}"}
PRINTS = (
    "import sys\n"
    "for i in range(3000): print(f'line {i:04d} ' + 'x' * 80)\n"
    "print('<b>done</b> stdout marker')\n"
    "print('stderr marker', file=sys.stderr)\n"
)


@pytest.fixture
def client() -> Iterator[TestClient]:
    with TestClient(dashboard_app.build_app(token=TOKEN), base_url=BASE, headers=AUTH) as c:
        yield c


@pytest.fixture
def jobs(tmp_path: Path) -> tuple[JobRecord, JobRecord]:
    """A finished job with a loss history in its output dir (written by the job: files there
    before it started are an earlier run's), and one still running."""
    out, staged = tmp_path / "out", tmp_path / "staged"
    write_trainer_state(staged, [3.0, 2.4, 1.9, 1.6, 1.45], evals={5: 1.7})
    copy = f"import shutil as s; s.copytree({str(staged)!r}, {str(out)!r}, copy_function=s.copy)\n"
    svc = get_service()
    done = svc.submit_argv(
        [PY, "-c", copy + PRINTS],
        cwd=str(tmp_path),
        command="train",
        name="tiny <sft>",
        output_dir=str(out),
    )
    wait_until(lambda: svc.status(done.id).status, lambda s: s == "completed")
    running = svc.submit_argv(
        [PY, "-c", "import time; print('hi', flush=True); time.sleep(60)"],
        cwd=str(tmp_path),
        name="sleeper",
    )
    wait_until(lambda: svc.status(running.id), lambda v: v.status == "running" and v.started_at)
    return done, running


def test_api_lists_jobs_with_live_status(
    client: TestClient, jobs: tuple[JobRecord, JobRecord]
) -> None:
    done, running = jobs
    body = client.get("/api/jobs").json()
    by_id = {j["job_id"]: j for j in body["jobs"]}
    assert [j["job_id"] for j in body["jobs"]] == [running.id, done.id]  # newest first
    assert by_id[running.id]["status"] == "running" and by_id[running.id]["started_at"]
    assert by_id[done.id]["status"] == "completed" and by_id[done.id]["exit_code"] == 0
    assert by_id[done.id]["progress"]["step"] == 5 and by_id[done.id]["progress"]["loss"] == 1.45
    assert body["total_stored"] == 2
    only = client.get("/api/jobs", params={"status": "running"}).json()
    assert [j["job_id"] for j in only["jobs"]] == [running.id]
    one = client.get(f"/api/jobs/{done.id}").json()
    assert one["status"] == "completed" and one["name"] == "tiny <sft>"
    bad = client.get("/api/jobs", params={"status": "sleeping"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "bad_status"
    assert client.get("/api/jobs", params={"limit": "x"}).json()["error"]["code"] == "bad_limit"


def test_loss_endpoint_returns_the_series(
    client: TestClient, jobs: tuple[JobRecord, JobRecord]
) -> None:
    done, running = jobs
    series = client.get(f"/api/jobs/{done.id}/loss").json()
    assert series["job_id"] == done.id and series["source"] == "trainer_state.json"
    assert series["points"] == [[1, 3.0], [2, 2.4], [3, 1.9], [4, 1.6], [5, 1.45]]
    assert series["eval_points"] == [[5, 1.7]]
    assert client.get(f"/api/jobs/{running.id}/loss").json()["points"] == []


def test_logs_are_bounded(client: TestClient, jobs: tuple[JobRecord, JobRecord]) -> None:
    done, _ = jobs
    small = client.get(f"/api/jobs/{done.id}/logs", params={"stream": "stdout", "tail": 5}).json()
    (out,) = small["streams"]
    assert out["lines"] == 5 and out["truncated"] and out["text"].endswith("stdout marker")
    assert out["file_size"] > 250_000
    big = client.get(f"/api/jobs/{done.id}/logs", params={"tail": 2000}).json()
    assert sum(len(s["text"].encode()) for s in big["streams"]) <= dashboard_app.LOG_BYTES
    assert big["truncated"]
    too_many = client.get(f"/api/jobs/{done.id}/logs", params={"tail": 100_000})
    assert too_many.status_code == 400 and too_many.json()["error"]["code"] == "bad_tail"
    wrong = client.get(f"/api/jobs/{done.id}/logs", params={"stream": "both;rm"})
    assert wrong.status_code == 400 and wrong.json()["error"]["code"] == "bad_stream"


def test_pages_render_the_jobs(client: TestClient, jobs: tuple[JobRecord, JobRecord]) -> None:
    done, running = jobs
    index = client.get("/")
    assert index.status_code == 200 and index.headers["content-type"].startswith("text/html")
    html = index.text
    assert f'href="/jobs/{done.id}"' in html and running.id in html
    assert "tiny &lt;sft&gt;" in html and "<sft>" not in html  # names are escaped
    assert 'class="badge s-completed"' in html and 'class="badge s-running"' in html
    assert "5/5" in html and "1.45" in html
    assert "<script" in html and "http" not in re.sub(r'https?://www\.w3\.org[^"]*', "", html)
    fragment = client.get("/", params={"fragment": "1"}).text
    assert fragment.startswith('<div id="view" data-live="1"') and "<html" not in fragment

    page = client.get(f"/jobs/{done.id}").text
    assert 'data-live="0"' in page  # a finished job stops polling
    assert '<polyline class="line" points="' in page and 'class="line eval"' in page
    assert "&lt;b&gt;done&lt;/b&gt; stdout marker" in page and "stderr marker" not in page
    assert "stderr marker" in client.get(f"/jobs/{done.id}", params={"stream": "stderr"}).text
    assert 'data-live="1"' in client.get(f"/jobs/{running.id}").text
    assert "No loss logged yet" in client.get(f"/jobs/{running.id}").text


def test_csp_allows_only_the_page_script(client: TestClient) -> None:
    resp = client.get("/")
    csp = resp.headers["content-security-policy"]
    script = re.search(r"<script>(.*)</script>", resp.text, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}';" in csp and "default-src 'none'" in csp
    assert resp.headers["cache-control"] == "no-store"


def test_foreign_host_or_origin_is_refused(client: TestClient) -> None:
    for headers in (
        {"Host": "evil.example"},
        {"Origin": "http://evil.example"},
        {"Host": "attacker.test:8766", "Origin": "http://attacker.test:8766"},
    ):
        for path in ("/api/jobs", "/"):
            resp = client.get(path, headers=headers)
            assert resp.status_code == 403, (path, headers)
            assert resp.json()["error"]["code"] == "forbidden"
    assert client.get("/api/jobs", headers={"Origin": BASE}).status_code == 200
    assert client.get("/", headers={"Host": "localhost:8766"}).status_code == 200


def test_unknown_job_is_a_structured_404(client: TestClient) -> None:
    for path in (
        "/api/jobs/train-nope",
        "/api/jobs/train-nope/logs",
        "/api/jobs/train-nope/loss",
        "/api/jobs/..%2F..%2Fetc",
    ):
        resp = client.get(path)
        assert resp.status_code == 404, path
        err = resp.json()["error"]
        assert err["code"] in ("unknown_job", "not_found") and err["message"] and err["fix"], err
    page = client.get("/jobs/train-nope")
    assert page.status_code == 404 and "No job with id" in page.text
    missing = client.get("/api/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    post = client.post("/api/jobs", json={})
    assert post.status_code == 405 and post.json()["error"]["code"] == "method_not_allowed"


def test_loopback_only_and_guard_names(tmp_path: Path) -> None:
    assert dashboard_app.is_loopback("127.0.0.1") and dashboard_app.is_loopback("::1")
    assert dashboard_app.is_loopback("localhost")
    for host in ("0.0.0.0", "127.evil.com", "192.168.1.2", ""):
        assert not dashboard_app.is_loopback(host)
    assert dashboard_app.allowed_hosts("127.0.0.2")[-1] == "127.0.0.2"
    assert dashboard_app.allowed_hosts("::1") == dashboard_app.LOOPBACK_HOSTS


def test_service_calls_run_off_the_event_loop(jobs: tuple[JobRecord, JobRecord]) -> None:
    done, _ = jobs
    on_loop: list[bool] = []

    def service() -> JobService:
        try:
            asyncio.get_running_loop()
            on_loop.append(True)
        except RuntimeError:
            on_loop.append(False)
        return get_service()

    paths = [
        "/",
        f"/jobs/{done.id}",
        "/api/jobs",
        f"/api/jobs/{done.id}",
        f"/api/jobs/{done.id}/logs",
        f"/api/jobs/{done.id}/loss",
    ]
    app = dashboard_app.build_app(service=service, token=TOKEN)
    with TestClient(app, base_url=BASE, headers=AUTH) as c:
        assert all(c.get(p).status_code == 200 for p in paths)
    assert len(on_loop) == len(paths) and not any(on_loop)


def test_origin_with_another_scheme_or_port_is_refused(client: TestClient) -> None:
    for origin in ("https://127.0.0.1:8766", "http://127.0.0.1:8767", "http://localhost", "null"):
        resp = client.get("/api/jobs", headers={"Origin": origin})
        assert resp.status_code == 403, origin
    assert client.get("/api/jobs", headers={"Origin": "http://localhost:8766"}).status_code == 200


def test_without_the_token_pages_and_api_get_a_401_that_says_how() -> None:
    with TestClient(dashboard_app.build_app(token=TOKEN), base_url=BASE) as anonymous:
        for path in ("/", "/jobs/train-x", "/api/jobs", "/api/jobs/train-x/logs"):
            resp = anonymous.get(path)
            assert resp.status_code == 401, path
            fix = resp.json()["error"]["fix"]
            assert "?token=" in fix and "the file /state/http.token" in fix
        wrong = anonymous.get("/", params={"token": "wrong"}, follow_redirects=False)
        assert wrong.status_code == 401 and "set-cookie" not in wrong.headers
        for cookie in ("0" * 64, TOKEN.value, HttpToken("e" * 40, "x").cookie_value()):
            anonymous.cookies.set(COOKIE, cookie)
            assert anonymous.get("/api/jobs").status_code == 401, cookie
        anonymous.cookies.clear()


def test_a_browser_logs_in_once_with_the_token_in_the_url() -> None:
    app = dashboard_app.build_app(token=TOKEN)
    with TestClient(app, base_url=BASE, follow_redirects=False) as browser:
        login = browser.get("/jobs/train-x", params={"stream": "stderr", "token": TOKEN.value})
        assert login.status_code == 303
        assert login.headers["location"] == "/jobs/train-x?stream=stderr"  # token gone
        cookie = login.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}={TOKEN.cookie_value()};")
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
        assert TOKEN.value not in cookie
        assert browser.get("/").status_code == 200  # the cookie stands in for the token
        assert browser.get("/api/jobs").status_code == 200


def test_the_login_redirect_stays_on_the_dashboard() -> None:
    from oumi_mcp_server.server.http_guard import _same_place_without_token

    for raw in (b"//evil.example/x", b"/\\evil.example/x", b"///evil.example/x"):
        scope = {"raw_path": raw, "path": raw.decode(), "query_string": b"token=t&a=1&token=u"}
        assert _same_place_without_token(scope) == "/" + raw.decode().lstrip("/\\") + "?a=1"
