"""Hub probes against a local fake hub: found, missing, gated, slow; the token never shown."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from oumi_mcp_server.preflight import hub

TOKEN = "hf_" + "t" * 34
SEEN_AUTH: list[str] = []


class FakeHub(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: dict, error_code: str = "") -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        if error_code:
            self.send_header("X-Error-Code", error_code)
            self.send_header("X-Error-Message", error_code)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        SEEN_AUTH.append(self.headers.get("authorization", ""))
        path = self.path.split("?")[0]
        if "/slow" in path:
            time.sleep(hub.HUB_TIMEOUT_S + 1)
        if path.endswith("/auth-check"):
            self._send(403, {"error": "gated"}, "GatedRepo")
        elif "/gated" in path:
            self._send(200, {"id": path.split("/api/models/")[1], "gated": "manual"})
        elif "/here" in path:
            self._send(200, {"id": path.split("/api/models/")[1], "gated": False})
        else:
            self._send(404, {"error": "Repository not found"}, "RepoNotFound")


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeHub)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    monkeypatch.setenv("HF_ENDPOINT", url)
    monkeypatch.setenv("HF_HUB_OFFLINE", "0")
    monkeypatch.setenv("TRANSFORMERS_OFFLINE", "0")
    # huggingface_hub reads the offline flag once, at import: another test may have imported it
    # under the suite's offline env.
    monkeypatch.setattr("huggingface_hub.constants.HF_HUB_OFFLINE", False)
    monkeypatch.setenv("HF_TOKEN", TOKEN)
    monkeypatch.setattr(hub, "HUB_TIMEOUT_S", 1.0)
    hub._online_cache.clear()
    yield url
    server.shutdown()
    server.server_close()
    hub._online_cache.clear()


def test_repo_status_against_a_fake_hub(fake_hub: str) -> None:
    assert hub.offline_reason() is None
    assert hub.repo_status("org/here", "model").access == "ok"
    assert hub.repo_status("org/missing", "model").access == "not_found"
    assert hub.repo_status("org/gated", "model").access == "gated"
    slow = hub.repo_status("org/slow", "model")
    assert slow.access == "unknown" and TOKEN not in slow.detail
    assert any(TOKEN in a for a in SEEN_AUTH)  # the token is sent to the hub, never returned


@pytest.mark.usefixtures("oumi_warm")
def test_preflight_reports_gated_model_online(fake_hub: str, project: Path) -> None:
    from oumi_mcp_server.preflight.service import run_preflight

    from .conftest import training_yaml

    r = run_preflight(training_yaml(model="org/gated-1B"), str(project))
    assert "hub_models" in r.checks_run
    assert [f.code for f in r.findings if f.severity == "error"] == ["model_gated"]
    assert TOKEN not in r.model_dump_json()
    r = run_preflight(training_yaml(model="org/here-1B"), str(project))
    assert r.ready and "hub_models" in r.checks_run
